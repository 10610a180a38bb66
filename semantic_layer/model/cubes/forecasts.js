// insights.forecasts, written by the forecasts asset: per metric and segment series, a forecast
// with its 95% prediction interval per day, and the observed value on holdout days.
const { measure, dimension, text, number } = require('../metrics');

cube(`forecasts`, {
  sql_table: `insights.forecasts`,
  public: false,
  title: `Forecasts`,
  description: `Forecasts of the governed metrics per segment and day, with prediction intervals.`,

  measures: {
    points: { type: `count`, ...measure(`forecast_points`) },
    yhat: { type: `sum`, sql: `yhat`, ...measure(`forecast_yhat`) },
    yhat_lower: { type: `sum`, sql: `yhat_lower`, ...measure(`forecast_yhat_lower`) },
    yhat_upper: { type: `sum`, sql: `yhat_upper`, ...measure(`forecast_yhat_upper`) },
  },

  dimensions: {
    forecast_key: {
      sql: `${CUBE}.metric_name || '|' || ${CUBE}.segment_dimension || '|' || ${CUBE}.segment_value`
        + ` || '|' || ${CUBE}.date_day::text || '|' || ${CUBE}.model`,
      type: `string`,
      primary_key: true,
      public: false,
    },
    metric_name: text(`metric_name`),
    segment_dimension: text(`segment_dimension`),
    segment_value: text(`segment_value`),
    date_day: { sql: `date_day`, type: `time`, ...dimension(`date_day`) },
    model: { sql: `model`, type: `string`, ...dimension(`forecast_model`) },
    is_holdout: { sql: `is_holdout`, type: `boolean`, ...dimension(`is_holdout`) },
    observed: number(`observed`),
    generated_at: { sql: `generated_at`, type: `time`, ...dimension(`generated_at`) },
  },
});
