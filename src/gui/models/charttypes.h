#pragma once

#include "agent/requestrecord.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace aimload {

// The values ChartData hands to the charts. Times are milliseconds since the epoch (UTC),
// as QDateTimeAxis takes them; a bucket covers [startMs, endMs).

enum class ChartRange
{
    LastHour,
    LastDay,
    All
};

struct LatencyPoint
{
    qint64 timeMs = 0; // the request's start, or the middle of a bucket
    double latencyMs = 0.0; // the request's latency, or the bucket's median
    double minMs = 0.0;
    double maxMs = 0.0;
    int count = 1; // requests behind the point
    bool failed = false; // the request failed; for a bucket, at least one did
};

struct RequestBucket
{
    qint64 startMs = 0;
    qint64 endMs = 0;
    QList<int> perGroup; // indexed like RequestSeries::groups
    int requests = 0;
    int failures = 0;
};

struct RequestSeries
{
    qint64 startMs = 0;
    qint64 endMs = 0;
    qint64 bucketMs = 0;
    QStringList groups; // the pool's groups in its order, then any others seen
    QList<RequestBucket> buckets; // contiguous, empty ones included
};

struct LatencySeries
{
    Model model = Model::A;
    qint64 startMs = 0;
    qint64 endMs = 0;
    qint64 bucketMs = 0;
    // false: one point per request, in time order. true: one point per non-empty bucket,
    // its median with min and max, because the range holds too many requests to draw.
    bool downsampled = false;
    QList<LatencyPoint> points;
    // Failed requests, always one point each; when downsampled, at most
    // ChartData::FailuresPerBucket per bucket.
    QList<LatencyPoint> failures;
};

struct LatencyHistogram
{
    QStringList labels; // "<0.25 s", "0.25–0.5 s", ..., "≥120 s"
    QList<double> upperMs; // exclusive upper bound of each bin; the last is infinity
    QList<int> a;
    QList<int> b;

    const QList<int>& counts(Model model) const { return model == Model::A ? a : b; }
};

struct GroupShare
{
    QString group;
    int requests = 0;
    double observed = 0.0; // share of the range's requests, 0..1
    double configured = 0.0; // weight / total weight of the pool, 0..1
};

} // namespace aimload
