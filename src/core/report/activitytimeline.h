#pragma once

#include "agent/requestrecord.h"

#include <QDateTime>
#include <QList>
#include <QStringList>

#include <array>

namespace aimload {

// Requests over the run in time bins of equal width, for the report's charts. Memory stays
// bounded however long the run: when the bins run out, neighbouring bins merge and the
// width doubles (1 s, 2 s, 4 s, ...; a week of run fits in bins of about an hour).
class ActivityTimeline
{
public:
    struct Latency
    {
        qint64 count = 0;
        double sumMs = 0.0;
        double minMs = 0.0;
        double maxMs = 0.0;

        void add(double latencyMs);
        void merge(const Latency& other);
        double meanMs() const;
    };

    struct Bin
    {
        QList<qint64> requestsPerGroup; // indexed like groups(); may be shorter
        qint64 failures = 0;
        std::array<Latency, 2> latency; // Model A, Model B

        qint64 requests() const;
    };

    explicit ActivityTimeline(qsizetype maxBins = 240);

    void setGroupOrder(const QStringList& groups);
    // Where the first bin starts; without it, at the first request.
    void setStart(const QDateTime& start);
    void add(const QDateTime& at, const QString& group, Model model, double latencyMs, bool failed);

    bool isEmpty() const { return m_bins.isEmpty(); }
    QDateTime start() const;
    qint64 binSeconds() const { return m_binSeconds; }
    const QList<Bin>& bins() const { return m_bins; }
    const QStringList& groups() const { return m_groups; }

private:
    void mergePairs();

    qsizetype m_maxBins;
    qint64 m_startMs = -1;
    qint64 m_binSeconds = 1;
    QStringList m_groups;
    QList<Bin> m_bins;
};

} // namespace aimload
