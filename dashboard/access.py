"""What the signed-in token may see, read from Cube's /v1/meta: views and their members.

The semantic layer compiles one schema per role, so a view or field the role may not see is not
in its /meta at all. The dashboard decides what to show from that alone; the role name is only a
label, recognised from the set of views (the matrix of semantic_layer/access.js).
"""

from __future__ import annotations

from dataclasses import dataclass

# Views each role gets (semantic_layer/access.js); used only to name the role in the header.
_ROLE_BY_VIEWS = {
    frozenset({"outcomes_overview", "experiments", "prompt_variants", "model_health",
               "operations_drilldown", "standard_reports"}): "admin",
    frozenset({"outcomes_overview", "experiments", "prompt_variants", "standard_reports"}): "product_manager",
    frozenset({"experiments", "prompt_variants", "model_health", "standard_reports"}): "prompt_engineer",
    frozenset({"outcomes_overview", "model_health", "operations_drilldown", "standard_reports"}): "operations",
    frozenset({"model_health", "operations_drilldown", "standard_reports"}): "engineer",
    frozenset({"standard_reports"}): "enablement",
}

_ROLE_VIEWS = frozenset().union(*_ROLE_BY_VIEWS)


@dataclass(frozen=True)
class Capabilities:
    members: dict[str, frozenset[str]]  # view -> short member names (measures and dimensions)
    titles: dict[str, str]  # full member name -> title from the semantic layer

    @classmethod
    def from_meta(cls, meta: dict) -> "Capabilities":
        members: dict[str, frozenset[str]] = {}
        titles: dict[str, str] = {}
        for cube in meta.get("cubes", []):
            if cube.get("type", "view") != "view":
                continue
            names = []
            for member in cube.get("measures", []) + cube.get("dimensions", []):
                names.append(member["name"].split(".", 1)[1])
                titles[member["name"]] = member.get("shortTitle") or member.get("title") or member["name"]
            members[cube["name"]] = frozenset(names)
        return cls(members, titles)

    @property
    def views(self) -> frozenset[str]:
        return frozenset(self.members)

    @property
    def role(self) -> str:
        # Views beyond the six (e.g. engagement) do not change which role a set names.
        return _ROLE_BY_VIEWS.get(self.views & _ROLE_VIEWS, "custom")

    def has(self, view: str, *names: str) -> bool:
        return view in self.members and all(n in self.members[view] for n in names)

    def first_view_with(self, names: tuple[str, ...], preferred: tuple[str, ...]) -> str | None:
        """The first of `preferred` views this token may see that has every member in `names`."""
        return next((v for v in preferred if self.has(v, *names)), None)


# Pages, the views each needs (any one of them), and why it is closed otherwise.
PAGES = {
    "overview": ("Overview", ("outcomes_overview", "prompt_variants", "experiments", "standard_reports")),
    "experiments": ("Experiments", ("experiments",)),
    "prompts": ("Prompts and models", ("prompt_variants", "model_health")),
    "drilldown": ("Drill-down", ("operations_drilldown",)),
    "anomalies": ("Anomalies and forecasts", ("outcomes_overview", "model_health")),
    "admin": ("Admin", ()),  # the admin role, not a view: the accounts API decides (admin_routes)
}


def can_open(caps: Capabilities, page: str) -> bool:
    if page == "admin":
        return caps.role == "admin"
    return any(v in caps.views for v in PAGES[page][1])


def main_view(caps: Capabilities, page: str) -> str | None:
    """The first view the page reads that this token may see (named in the engagement record)."""
    return next((v for v in PAGES[page][1] if v in caps.views), None)


def why_closed(caps: Capabilities, page: str) -> str:
    title, needs = PAGES[page]
    if not needs:
        return (f"{title} is for the admin role; your token (role {caps.role}) is not an admin's. "
                f"Ask an admin if you need it.")
    views = " or ".join(f"“{v}”" for v in needs)
    return (f"{title} reads the semantic layer's {views} view, which your token (role "
            f"{caps.role}) may not see. Ask an admin for a role that includes it "
            f"(DESIGN.md §5).")
