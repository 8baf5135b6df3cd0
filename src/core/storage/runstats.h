#pragma once

#include "stats/statsaggregator.h"

class QSqlDatabase;

namespace aimload {

// The statistics of a journaled run, computed by SQLite from its indexes instead of by
// loading every request: the same rows a StatsAggregator fed the run gives, exact
// percentiles included. Returns the group x model rows (the groups of groupOrder first,
// then the others in the order they were first recorded; A before B), then the Model A
// total, the Model B total and the overall total.
QList<StatsRow> queryRunStats(
    const QSqlDatabase& db, qint64 runId, const QStringList& groupOrder = {});

} // namespace aimload
