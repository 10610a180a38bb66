from dash import html
def layout(state, caps):
    return html.H1("prompts")
def register(app):
    pass
