from dash import html
def layout(state, caps):
    return html.H1("anomalies")
def register(app):
    pass
