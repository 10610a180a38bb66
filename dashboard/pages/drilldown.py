from dash import html
def layout(state, caps):
    return html.H1("drilldown")
def register(app):
    pass
