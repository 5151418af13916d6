"""`python -m trailwatch audit`: the control checked in live AWS accounts (boto3).

`collect` reads AWS into the shared model, `verdict` hands it to the policy pack's pure
evaluation (`trailwatch_policy.chain`), `report`/`sarif` render the result.
"""
