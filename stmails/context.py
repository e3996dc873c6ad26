from urllib.parse import urlsplit

from stmails.config import get_value, get_values


def site(request):
    if request.path.startswith(("/api/", "/webhooks/", "/static/")):
        return {}
    if not request.user.is_authenticated:
        return {"site_name": get_value("app.site_name")}
    values = get_values("app.site_name", "app.root_url")
    return {
        "site_name": values["app.site_name"],
        "root_url_elsewhere": root_url_elsewhere(request, values["app.root_url"]),
    }


def root_url_elsewhere(request, root_url: str) -> str:
    """Root URL when this page is served from another origin, else "".

    Confirmation links, List-Unsubscribe and the embed form are built from Root
    URL: when admins reach stmails at another address, those links are likely
    wrong (the classic: PORT changed, Root URL still on the old port).
    """
    root = urlsplit(root_url)
    served = f"{request.scheme}://{request.get_host()}"
    if f"{root.scheme}://{root.netloc}".lower() == served.lower():
        return ""
    return root_url
