"""OutcomeLens web dashboard: a Dash app that reads only the Cube semantic layer over HTTP.

Nothing here imports the rest of the project: every figure comes from Cube's REST API, called
with the signed-in user's own token, so the dashboard can never show more than that token may see.
"""
