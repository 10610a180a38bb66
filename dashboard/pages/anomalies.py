from dash import html
def layout(state, caps):
    return html.H1("Anomalies and forecasts")
def register(app):
    pass
