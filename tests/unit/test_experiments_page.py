"""The experiments page's comparison rows: SRM flag and p-value, the always-valid interval, CUPED and the
registration beside each row, and a flagged row's warning (rendered from Cube-shaped rows, no server)."""

from dashboard.pages import experiments as page


def _row(**values) -> dict:
    base = dict(experiment_id="exp_sales_prompt", metric_name="conversion_rate", variant="treatment",
                control_variant="control", control_value=0.20, variant_value=0.28, difference=0.08, ci_low=0.01,
                ci_high=0.15, n_control=300, n_variant=300, significant=True, underpowered=False,
                sample_ratio_mismatch=False, srm_p_value=0.42, registration_status="registered",
                variant_registration="registered", always_valid_ci_low=-0.01, always_valid_ci_high=0.17,
                cuped_difference=0.078, cuped_ci_low=0.012, cuped_ci_high=0.144, cuped_variance_reduction=0.05)
    return {f"{page.V}.comparison_{k}": v for k, v in {**base, **values}.items()}


def _texts(component) -> list[str]:
    """Every string in a Dash component tree, in order."""
    if isinstance(component, str):
        return [component]
    children = getattr(component, "children", None)
    if children is None:
        return []
    if not isinstance(children, list):
        children = [children]
    return [t for c in children for t in _texts(c)]


def test_a_clean_row_shows_srm_always_valid_cuped_and_registration():
    (tr,) = page._comparison_row(_row())
    cells = [" ".join(_texts(td)) for td in tr.children]
    assert len(cells) == len(page.HEADERS)
    by_header = dict(zip(page.HEADERS, cells))
    assert by_header["SRM"] == "ok, p = 0.420"
    assert by_header["95% CI"] == "[1.0%, 15.0%]"
    assert by_header["Always-valid 95% CI"] == "[-1.0%, 17.0%]"
    assert by_header["CUPED difference (95% CI)"] == "7.8%   [1.2%, 14.4%] variance −5.0%"
    assert by_header["Registration"] == "registered, registered variant"
    assert by_header["Verdict"] == "winner: treatment"


def test_a_flagged_row_warns_not_to_trust_it():
    row = _row(sample_ratio_mismatch=True, srm_p_value=2.9e-07, registration_status="unregistered",
               variant_registration="seen_only", cuped_variance_reduction=None)
    tr, warning = page._comparison_row(row)
    by_header = dict(zip(page.HEADERS, (" ".join(_texts(td)) for td in tr.children)))
    assert "srm-flagged" in tr.className
    assert by_header["SRM"] == "SRM  p = 2.9e-07"
    assert by_header["Verdict"] == page.SRM_WARNING == "split mismatch: do not trust this comparison"
    assert by_header["Registration"] == "unregistered, variant seen only"
    assert by_header["CUPED difference (95% CI)"] == "no covariate"
    assert page.SRM_WARNING in " ".join(_texts(warning)) and warning.children.colSpan == len(page.HEADERS)
