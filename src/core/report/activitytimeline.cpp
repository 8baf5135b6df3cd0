#include "report/activitytimeline.h"

#include <algorithm>
#include <cmath>

namespace aimload {

void ActivityTimeline::Latency::add(double latencyMs)
{
    minMs = count == 0 ? latencyMs : std::min(minMs, latencyMs);
    maxMs = count == 0 ? latencyMs : std::max(maxMs, latencyMs);
    sumMs += latencyMs;
    ++count;
}

void ActivityTimeline::Latency::merge(const Latency& other)
{
    if (other.count == 0)
        return;
    minMs = count == 0 ? other.minMs : std::min(minMs, other.minMs);
    maxMs = count == 0 ? other.maxMs : std::max(maxMs, other.maxMs);
    sumMs += other.sumMs;
    count += other.count;
}

double ActivityTimeline::Latency::meanMs() const
{
    return count > 0 ? sumMs / double(count) : std::nan("");
}

qint64 ActivityTimeline::Bin::requests() const
{
    qint64 sum = 0;
    for (const qint64 count : requestsPerGroup)
        sum += count;
    return sum;
}

ActivityTimeline::ActivityTimeline(qsizetype maxBins)
    : m_maxBins(std::max<qsizetype>(2, maxBins))
{ }

void ActivityTimeline::setGroupOrder(const QStringList& groups)
{
    for (const QString& group : groups) {
        if (!m_groups.contains(group))
            m_groups.append(group);
    }
}

void ActivityTimeline::setStart(const QDateTime& start)
{
    if (m_bins.isEmpty() && start.isValid())
        m_startMs = start.toMSecsSinceEpoch() / 1000 * 1000;
}

QDateTime ActivityTimeline::start() const
{
    return m_startMs < 0 ? QDateTime() : QDateTime::fromMSecsSinceEpoch(m_startMs, Qt::UTC);
}

void ActivityTimeline::add(
    const QDateTime& at, const QString& group, Model model, double latencyMs, bool failed)
{
    const qint64 atMs = at.isValid() ? at.toMSecsSinceEpoch() : std::max<qint64>(m_startMs, 0);
    if (m_startMs < 0)
        m_startMs = atMs / 1000 * 1000;

    // A request stamped before the start (the wall clock stepped back) counts in bin 0.
    const qint64 offsetMs = std::max<qint64>(0, atMs - m_startMs);
    while (offsetMs / (m_binSeconds * 1000) >= m_maxBins)
        mergePairs();
    const qsizetype index = offsetMs / (m_binSeconds * 1000);
    if (m_bins.size() <= index)
        m_bins.resize(index + 1);

    qsizetype groupIndex = m_groups.indexOf(group);
    if (groupIndex < 0) {
        m_groups.append(group);
        groupIndex = m_groups.size() - 1;
    }
    Bin& bin = m_bins[index];
    if (bin.requestsPerGroup.size() <= groupIndex)
        bin.requestsPerGroup.resize(groupIndex + 1);
    ++bin.requestsPerGroup[groupIndex];
    bin.failures += failed ? 1 : 0;
    bin.latency[model == Model::A ? 0 : 1].add(latencyMs);
}

void ActivityTimeline::mergePairs()
{
    QList<Bin> merged((m_bins.size() + 1) / 2);
    for (qsizetype i = 0; i < m_bins.size(); ++i) {
        const Bin& from = m_bins.at(i);
        Bin& to = merged[i / 2];
        if (to.requestsPerGroup.size() < from.requestsPerGroup.size())
            to.requestsPerGroup.resize(from.requestsPerGroup.size());
        for (qsizetype g = 0; g < from.requestsPerGroup.size(); ++g)
            to.requestsPerGroup[g] += from.requestsPerGroup.at(g);
        to.failures += from.failures;
        to.latency[0].merge(from.latency[0]);
        to.latency[1].merge(from.latency[1]);
    }
    m_bins = std::move(merged);
    m_binSeconds *= 2;
}

} // namespace aimload
