"""Grants: funders, programmes, bids through the pipeline, awards, payments, spend and reports."""
