"""Stockout forecasting: past stockouts detected, demand unconstrained, forecast, risk, orders."""
