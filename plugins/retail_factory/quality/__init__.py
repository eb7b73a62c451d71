"""Quality gates: Great Expectations suites and checkpoints run against the warehouse.

``suites`` declares what is expected, ``context`` writes and opens the GX file context in
``expectations/``, ``expectations`` and ``checks`` hold the custom expectations of the trade,
``gate`` runs a gate for a date and reports, ``tasks`` wires the gates into the transform DAG.
"""
