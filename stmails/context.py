from stmails.config import get_value


def site(request):
    if not request.path.startswith(("/api/", "/webhooks/", "/static/")):
        return {"site_name": get_value("app.site_name")}
    return {}
