#pragma once

#include <QDateTime>
#include <QString>

namespace aimload {

// One run as the journal keeps it. A run whose process died has no endedAt and no
// endReason.
struct RunInfo
{
    qint64 id = -1;
    QDateTime startedAt;
    QDateTime endedAt;
    QString endReason;
    QString agentUrl;
    QString options; // a one-line summary of the options the run used
    QString poolSummary;
    quint64 seed = 0;
    qint64 requests = 0; // counted as the statistics count them: finished, not cancelled
    qint64 failures = 0;
};

// A grid slot a user missed because its previous cycle was still running.
struct SkippedSlot
{
    int user = 0;
    qint64 slot = 0; // the first of the stretch
    qint64 count = 1;
    QDateTime at; // when it was recorded
    QString reason;
};

} // namespace aimload
