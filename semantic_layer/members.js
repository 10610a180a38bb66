// The members a Cube query names (measures, dimensions, segments, time dimensions, filters, order):
// what queryRewrite checks against access.js and what engagement.js records as the views queried.
'use strict';

// Every member a query names, wherever it names it.
function queryMembers(query) {
  const members = [];
  const add = (member) => {
    if (member !== undefined && member !== null) members.push(member);
  };
  (query.measures || []).forEach(add);
  (query.dimensions || []).forEach(add);
  (query.segments || []).forEach(add);
  (query.timeDimensions || []).forEach((td) => add(td && td.dimension));
  const walkFilters = (filters) => {
    (filters || []).forEach((filter) => {
      if (!filter || typeof filter !== 'object') return;
      if (Array.isArray(filter.and)) walkFilters(filter.and);
      if (Array.isArray(filter.or)) walkFilters(filter.or);
      add(filter.member);
      add(filter.dimension);
    });
  };
  walkFilters(query.filters);
  const { order } = query;
  if (Array.isArray(order)) {
    order.forEach((item) => {
      if (Array.isArray(item)) add(item[0]);
      else if (item && typeof item === 'object') add(item.id);
    });
  } else if (order && typeof order === 'object') {
    Object.keys(order).forEach(add);
  }
  return members;
}

module.exports = { queryMembers };
