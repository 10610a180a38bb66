from dash import html
def layout(state, caps):
    return html.H1("experiments")
def register(app):
    pass
