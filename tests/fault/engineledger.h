#pragma once

#include "engine/clock.h"
#include "engine/loadengine.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QStringList>

#include <algorithm>
#include <chrono>

namespace aimload::test {

// Watches a LoadEngine from outside and keeps its books: every cycle with the time it was
// seen to start, every skipped slot, every request started and finished. Breaches of the
// engine's promises that can be seen as they happen (a request finished twice or never
// started, two cycles of one user at once) are noted at once; problems() adds the ones
// that need the whole run (a request never finished, a slot neither run nor skipped, a
// cycle off its grid point).
class EngineLedger : public QObject
{
    Q_OBJECT

public:
    struct Cycle
    {
        CycleInfo info;
        qint64 seenNs = 0; // our own reading of the clock when cycleStarted arrived
        bool finished = false;
    };

    struct Skip
    {
        int user = 0;
        qint64 slot = 0; // the first of the stretch
        qint64 count = 1;
        QString reason;
        bool cycleRunning = false; // a cycle of that user was running when it was skipped
    };

    EngineLedger(LoadEngine* engine, Clock* clock)
        : m_engine(engine)
        , m_clock(clock)
    {
        connect(engine, &LoadEngine::cycleStarted, this, &EngineLedger::onCycleStarted);
        connect(engine, &LoadEngine::cycleFinished, this, &EngineLedger::onCycleFinished);
        connect(engine, &LoadEngine::skippedSlots, this, &EngineLedger::onSlotsSkipped);
        connect(engine, &LoadEngine::requestStarted, this, &EngineLedger::onRequestStarted);
        connect(engine, &LoadEngine::requestFinished, this, &EngineLedger::onRequestFinished);
    }

    const QList<Cycle>& cycles() const { return m_cycles; }
    const QList<Skip>& skips() const { return m_skips; }
    qint64 skippedSlotCount() const
    {
        qint64 total = 0;
        for (const Skip& skip : m_skips)
            total += skip.count;
        return total;
    }
    const QList<RequestRecord>& finished() const { return m_finished; }
    int startedCount() const { return int(m_started.size()); }
    qint64 worstLatenessNs() const { return m_worstLatenessNs; }

    QList<RequestRecord> finishedInCycle(quint64 cycle) const
    {
        QList<RequestRecord> records;
        for (const RequestRecord& record : m_finished) {
            if (record.cycle == cycle)
                records.append(record);
        }
        return records;
    }

    // Everything wrong with the run, one line each; empty when the engine kept its word.
    // A cycle may start at most toleranceNs after its grid point.
    QStringList problems(qint64 toleranceNs)
    {
        QStringList problems = m_breaches;
        for (auto it = m_started.cbegin(); it != m_started.cend(); ++it) {
            if (!m_finishedIds.contains(it.key()))
                problems.append(QStringLiteral("request %1 never finished").arg(it.key()));
        }
        if (m_engine->requestsInFlight() != 0)
            problems.append(QStringLiteral("%1 requests still in flight at the end")
                                .arg(m_engine->requestsInFlight()));
        for (const Cycle& cycle : std::as_const(m_cycles)) {
            if (!cycle.finished)
                problems.append(QStringLiteral("cycle %1 never finished").arg(cycle.info.cycle));
        }
        checkGrid(problems, toleranceNs);
        checkSkips(problems);
        return problems;
    }

private:
    void onCycleStarted(const CycleInfo& info)
    {
        for (const Cycle& cycle : std::as_const(m_cycles)) {
            if (cycle.info.user == info.user && !cycle.finished)
                m_breaches.append(QStringLiteral("cycle %1 started while cycle %2 was running")
                                      .arg(info.cycle)
                                      .arg(cycle.info.cycle));
        }
        m_cycles.append({info, m_clock->nowNs(), false});
    }

    void onCycleFinished(const CycleInfo& info)
    {
        for (Cycle& cycle : m_cycles) {
            if (cycle.info.cycle != info.cycle)
                continue;
            if (cycle.finished)
                m_breaches.append(QStringLiteral("cycle %1 finished twice").arg(info.cycle));
            cycle.finished = true;
            return;
        }
        m_breaches.append(QStringLiteral("cycle %1 finished but never started").arg(info.cycle));
    }

    void onSlotsSkipped(int user, qint64 firstSlot, qint64 count, const QString& reason)
    {
        const bool running = std::any_of(m_cycles.cbegin(), m_cycles.cend(),
            [user](const Cycle& cycle) { return cycle.info.user == user && !cycle.finished; });
        m_skips.append({user, firstSlot, count, reason, running});
    }

    void onRequestStarted(const RequestRecord& record)
    {
        if (m_started.contains(record.id))
            m_breaches.append(QStringLiteral("request id %1 started twice").arg(record.id));
        m_started.insert(record.id, record);
    }

    void onRequestFinished(const RequestRecord& record)
    {
        if (!m_started.contains(record.id))
            m_breaches.append(
                QStringLiteral("request %1 finished but never started").arg(record.id));
        if (m_finishedIds.contains(record.id))
            m_breaches.append(QStringLiteral("request %1 finished twice").arg(record.id));
        if (record.outcome == Outcome::Pending)
            m_breaches.append(QStringLiteral("request %1 finished as pending").arg(record.id));
        m_finishedIds.insert(record.id, true);
        m_finished.append(record);
    }

    // Cycle k starts at gridStart + k * pacing, as seen from outside, never before it and
    // at most toleranceNs after it.
    void checkGrid(QStringList& problems, qint64 toleranceNs)
    {
        const qint64 pacingNs = std::chrono::nanoseconds(m_engine->settings().pacing).count();
        qint64 gridStart = -1;
        for (const Cycle& cycle : std::as_const(m_cycles)) {
            if (cycle.info.triggered)
                continue;
            const qint64 start = cycle.info.scheduledNs - cycle.info.slot * pacingNs;
            if (gridStart < 0)
                gridStart = start;
            if (start != gridStart)
                problems.append(
                    QStringLiteral("cycle %1 is on another grid").arg(cycle.info.cycle));
            const qint64 lateness = cycle.seenNs - (gridStart + cycle.info.slot * pacingNs);
            m_worstLatenessNs = std::max(m_worstLatenessNs, lateness);
            if (lateness < 0 || lateness > toleranceNs)
                problems.append(
                    QStringLiteral("cycle %1 (slot %2) started %3 ms off its grid point")
                        .arg(cycle.info.cycle)
                        .arg(cycle.info.slot)
                        .arg(double(lateness) / 1e6, 0, 'f', 1));
        }
    }

    // Every slot up to the last one run is either run or skipped, exactly once, and a slot
    // is only skipped because the cycle before it overran.
    void checkSkips(QStringList& problems)
    {
        QHash<qint64, int> seen;
        qint64 last = -1;
        for (const Cycle& cycle : std::as_const(m_cycles)) {
            if (cycle.info.triggered)
                continue;
            ++seen[cycle.info.slot];
            last = std::max(last, cycle.info.slot);
        }
        for (const Skip& skip : std::as_const(m_skips)) {
            for (qint64 slot = skip.slot; slot < skip.slot + skip.count; ++slot)
                ++seen[slot];
            if (skip.count < 1)
                problems.append(QStringLiteral("a stretch of %1 skipped slots").arg(skip.count));
            if (!skip.cycleRunning)
                problems.append(QStringLiteral("slot %1 skipped with no cycle running: %2")
                                    .arg(skip.slot)
                                    .arg(skip.reason));
        }
        for (qint64 slot = 0; slot <= last; ++slot) {
            if (seen.value(slot) != 1)
                problems.append(QStringLiteral("slot %1 was run or skipped %2 times")
                                    .arg(slot)
                                    .arg(seen.value(slot)));
        }
    }

    LoadEngine* m_engine = nullptr;
    Clock* m_clock = nullptr;
    QList<Cycle> m_cycles;
    QList<Skip> m_skips;
    QHash<quint64, RequestRecord> m_started;
    QHash<quint64, bool> m_finishedIds;
    QList<RequestRecord> m_finished;
    QStringList m_breaches;
    qint64 m_worstLatenessNs = 0;
};

} // namespace aimload::test
