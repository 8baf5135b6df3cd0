#pragma once

#include "agent/requestrecord.h"

#include <QList>

#include <deque>

namespace aimload {

// The latest requests for /api/requests: those in flight and a bounded number of finished
// ones. Answer bodies are dropped and long texts cut, so memory stays bounded by capacity.
class RecentRequests
{
public:
    static constexpr qsizetype MaxTextLength = 500;
    static constexpr qsizetype MaxToolNames = 50;

    explicit RecentRequests(qsizetype capacity);

    void started(const RequestRecord& record);
    void finished(const RequestRecord& record);

    // Up to limit records: those in flight, then the finished ones, most recent first.
    QList<RequestRecord> latest(qsizetype limit) const;
    qsizetype capacity() const { return m_capacity; }

private:
    static RequestRecord stripped(const RequestRecord& record);

    qsizetype m_capacity = 0;
    QList<RequestRecord> m_inFlight; // oldest first
    std::deque<RequestRecord> m_finished; // oldest first
};

} // namespace aimload
