"""Readable YAML settings for forecasts, anomaly rules and alert channels, checked on load.

A wrong setting fails with the file and the field named, before any model runs. A metric is named,
never defined, here: it is a measure of the semantic layer's `attribution_daily` cube, and how it
re-aggregates (the columns of marts.fct_attribution_daily it sums) is read from that cube's
definition (outcomelens.core.semantic_layer), so a name the semantic layer does not define fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from outcomelens.contract import ANALYSIS_DIMENSIONS
from outcomelens.core import semantic_layer

CONFIG_DIR = Path(__file__).parent / "config"
DIMENSIONS = ANALYSIS_DIMENSIONS  # the segments forecasts and anomaly rules may name
FORECAST_MODELS = ("auto_arima", "statsforecast_autoarima", "seasonal_naive")
RULES = ("relative_change", "forecast_interval", "robust_zscore")
# The semantic layer's cube over marts.fct_attribution_daily, the mart the insights read.
METRICS_CUBE = "attribution_daily"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Metric:
    """A measure of METRICS_CUBE and the mart columns it sums (its additive parts)."""

    name: str
    numerator: str
    denominator: str | None = None

    @property
    def is_ratio(self) -> bool:
        return self.denominator is not None


@dataclass(frozen=True)
class ForecastConfig:
    metrics: tuple[Metric, ...]
    segment_dimensions: tuple[str, ...]
    model: str = "statsforecast_autoarima"
    horizon_days: int = 14
    holdout_days: int = 14
    season_length: int = 7
    interval_level: float = 0.95
    min_history_days: int = 35
    exclude_last_days: int = 0
    approximation: bool = False  # statsforecast: rank candidate orders by CSS (faster search)
    nmodels: int = 94  # statsforecast: at most this many models in the stepwise search
    n_jobs: int = 1  # series forecast in parallel processes


@dataclass(frozen=True)
class Rule:
    rule: str
    params: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


@dataclass(frozen=True)
class MetricRules:
    metric: Metric
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class AnomalyConfig:
    metrics: tuple[MetricRules, ...]
    segment_dimensions: tuple[str, ...]
    contribution_dimensions: tuple[str, ...]
    check_last_days: int = 7


def _load(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _dimensions(path: Path, data: dict, key: str) -> tuple[str, ...]:
    dims = tuple(data.get(key) or ())
    for d in dims:
        if d not in DIMENSIONS:
            raise ConfigError(f"{path}: {key}: unknown dimension {d!r}; expected one of {', '.join(DIMENSIONS)}")
    return dims


def governed_metric(name: str) -> Metric:
    """The measure `name` of METRICS_CUBE with its additive parts, as the semantic layer defines it."""
    parts = semantic_layer.additive_parts(METRICS_CUBE, name)
    return Metric(name, parts.numerator, parts.denominator)


def _metric(path: Path, name: Any) -> Metric:
    try:
        return governed_metric(str(name))
    except semantic_layer.MeasureError as exc:
        raise ConfigError(f"{path}: metrics.{name}: {exc}") from exc


def _check_fields(path: Path, name: str, spec: dict, allowed: set[str]) -> None:
    unknown = set(spec) - allowed
    if unknown:
        redefined = unknown & {"numerator", "denominator"}
        hint = " (the semantic layer defines the metric: name its measure only)" if redefined else ""
        raise ConfigError(f"{path}: metrics.{name}: unknown field(s) {', '.join(sorted(unknown))}{hint}")


def _positive_int(path: Path, where: str, value: Any) -> int:
    if not isinstance(value, int) or value < 0:
        raise ConfigError(f"{path}: {where} must be a non-negative integer, got {value!r}")
    return value


def load_forecast_config(path: Path | None = None) -> ForecastConfig:
    path = Path(path or CONFIG_DIR / "forecasts.yaml")
    data = _load(path)
    names = data.get("metrics") or []
    if not isinstance(names, list) or not names:
        raise ConfigError(f"{path}: metrics: a list of at least one measure of the {METRICS_CUBE} cube is required")
    metrics = tuple(_metric(path, n) for n in names)
    model = data.get("model", "statsforecast_autoarima")
    if model not in FORECAST_MODELS:
        raise ConfigError(f"{path}: model must be one of {', '.join(FORECAST_MODELS)}, got {model!r}")
    level = data.get("interval_level", 0.95)
    if not isinstance(level, float) or not 0.5 <= level < 1:
        raise ConfigError(f"{path}: interval_level must be a number in [0.5, 1), got {level!r}")
    ints = {
        k: _positive_int(path, k, data[k])
        for k in ("horizon_days", "holdout_days", "season_length", "min_history_days", "exclude_last_days")
        if k in data
    }
    approximation = data.get("approximation", False)
    if not isinstance(approximation, bool):
        raise ConfigError(f"{path}: approximation must be true or false, got {approximation!r}")
    search = {k: _positive_int(path, k, data[k]) for k in ("nmodels", "n_jobs") if k in data}
    if search.get("nmodels", 1) < 1 or search.get("n_jobs", 1) < 1:
        raise ConfigError(f"{path}: nmodels and n_jobs must be at least 1")
    return ForecastConfig(
        metrics=metrics, segment_dimensions=_dimensions(path, data, "segment_dimensions"),
        model=model, interval_level=level, approximation=approximation, **search, **ints,
    )


def _check_rule_params(path: Path, where: str, r: dict) -> None:
    budget = r.get("false_alarms_per_90_days", 1.0)
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0 < budget <= 90:
        raise ConfigError(f"{path}: {where}.false_alarms_per_90_days must be a number in (0, 90], got {budget!r}")
    windows = r.get("windows_days", [1])
    if not isinstance(windows, list) or not windows or not all(isinstance(w, int) and w >= 1 for w in windows):
        raise ConfigError(f"{path}: {where}.windows_days must be a list of positive integers, got {windows!r}")


def load_anomaly_config(path: Path | None = None) -> AnomalyConfig:
    path = Path(path or CONFIG_DIR / "anomaly_rules.yaml")
    data = _load(path)
    metrics = []
    for name, spec in (data.get("metrics") or {}).items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{path}: metrics.{name}: expected rules")
        if "min_volume" in spec:
            raise ConfigError(f"{path}: metrics.{name}.min_volume: no longer used; the rules' exact tests follow the "
                              "counts (set false_alarms_per_90_days on a rule instead)")
        _check_fields(path, name, spec, {"rules"})
        metric = _metric(path, name)
        rules = []
        for i, r in enumerate(spec.get("rules") or []):
            if not isinstance(r, dict) or r.get("rule") not in RULES:
                raise ConfigError(f"{path}: metrics.{name}.rules[{i}].rule must be one of {', '.join(RULES)}")
            _check_rule_params(path, f"metrics.{name}.rules[{i}]", r)
            rules.append(Rule(r["rule"], {k: v for k, v in r.items() if k != "rule"}))
        if not rules:
            raise ConfigError(f"{path}: metrics.{name}.rules: at least one rule is required")
        metrics.append(MetricRules(metric, tuple(rules)))
    if not metrics:
        raise ConfigError(f"{path}: metrics: at least one metric is required")
    return AnomalyConfig(
        metrics=tuple(metrics),
        segment_dimensions=_dimensions(path, data, "segment_dimensions"),
        contribution_dimensions=_dimensions(path, data, "contribution_dimensions"),
        check_last_days=_positive_int(path, "check_last_days", data.get("check_last_days", 7)),
    )


@dataclass(frozen=True)
class ExperimentConfig:
    mixing_effect: float = 0.1
    target_relative_effect: float = 0.05
    lower_is_better: tuple[str, ...] = ()


def load_experiment_config(path: Path | None = None) -> ExperimentConfig:
    path = Path(path or CONFIG_DIR / "experiments.yaml")
    data = _load(path)
    unknown = set(data) - {"mixing_effect", "target_relative_effect", "lower_is_better"}
    if unknown:
        raise ConfigError(f"{path}: unknown field(s) {', '.join(sorted(unknown))}")
    for key in ("mixing_effect", "target_relative_effect"):
        value = data.get(key, getattr(ExperimentConfig, key))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ConfigError(f"{path}: {key} must be a positive number, got {value!r}")
    lower = data.get("lower_is_better") or []
    if not isinstance(lower, list) or not all(isinstance(m, str) for m in lower):
        raise ConfigError(f"{path}: lower_is_better must be a list of metric names")
    return ExperimentConfig(float(data.get("mixing_effect", 0.1)), float(data.get("target_relative_effect", 0.05)),
                            tuple(lower))


def load_alert_channels(path: Path | None = None) -> dict:
    path = Path(path or CONFIG_DIR / "alert_channels.yaml")
    data = _load(path)
    for i, hook in enumerate(data.get("webhooks") or []):
        for key in ("name", "url"):
            if not hook.get(key):
                raise ConfigError(f"{path}: webhooks[{i}].{key} is required")
        if hook.get("format", "json") not in ("json", "slack"):
            raise ConfigError(f"{path}: webhooks[{i}].format must be json or slack")
        if "secret" in hook:
            raise ConfigError(f"{path}: webhooks[{i}].secret: name an environment variable with secret_env instead")
    return data
