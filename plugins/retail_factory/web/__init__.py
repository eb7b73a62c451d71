"""The factory's pages in the Airflow UI (the plugin ``plugins/retail_factory_plugin.py``).

``board``: stores at risk of a stockout and their top risks; ``tracing``: a lot, a GTIN or a
pallet, forward and backward, with its genealogy drawn; ``quality``: the gates' latest results
and what was quarantined. ``app`` serves them as a FastAPI app behind Airflow's own login.
Pages read the warehouse read-only and the reports in Blob; they never write.
"""
