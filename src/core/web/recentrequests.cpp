#include "web/recentrequests.h"

#include <algorithm>

namespace aimload {

RecentRequests::RecentRequests(qsizetype capacity)
    : m_capacity(std::max<qsizetype>(1, capacity))
{ }

void RecentRequests::started(const RequestRecord& record)
{
    // The engine finishes every request it starts; the cap only matters if one is lost.
    if (m_inFlight.size() >= m_capacity)
        m_inFlight.removeFirst();
    m_inFlight.append(stripped(record));
}

void RecentRequests::finished(const RequestRecord& record)
{
    m_inFlight.removeIf([&record](const RequestRecord& open) { return open.id == record.id; });
    m_finished.push_back(stripped(record));
    if (qsizetype(m_finished.size()) > m_capacity)
        m_finished.pop_front();
}

QList<RequestRecord> RecentRequests::latest(qsizetype limit) const
{
    QList<RequestRecord> records;
    records.reserve(std::min(limit, m_inFlight.size() + qsizetype(m_finished.size())));
    for (auto it = m_inFlight.crbegin(); it != m_inFlight.crend() && records.size() < limit; ++it)
        records.append(*it);
    for (auto it = m_finished.crbegin(); it != m_finished.crend() && records.size() < limit; ++it)
        records.append(*it);
    return records;
}

RequestRecord RecentRequests::stripped(const RequestRecord& record)
{
    RequestRecord copy = record;
    copy.body = QByteArray();
    copy.message.truncate(MaxTextLength);
    copy.error.truncate(MaxTextLength);
    copy.detail.truncate(MaxTextLength);
    copy.modelUsed.truncate(MaxTextLength);
    copy.redirectTarget.truncate(MaxTextLength);
    if (copy.toolNames.size() > MaxToolNames)
        copy.toolNames.resize(MaxToolNames);
    return copy;
}

} // namespace aimload
