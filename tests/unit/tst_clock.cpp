// The system clock's timers on a real event loop: never before their deadline, in order,
// and silent once stopped.

#include "engine/clock.h"

#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <vector>

using aimload::ClockTimer;
using aimload::SystemClock;

class TestClock : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void timersFireInOrderNeverEarly();
    void stoppedTimerStaysSilent();
    void restartMovesTheDeadline();
    void pastDeadlineFiresAtOnce();
};

namespace {

constexpr qint64 NsPerMs = 1'000'000;

} // namespace

void TestClock::timersFireInOrderNeverEarly()
{
    SystemClock clock;
    constexpr int Count = 12;
    std::vector<std::unique_ptr<ClockTimer>> timers;
    std::vector<qint64> firedAt(Count, -1);
    QList<int> order;
    const qint64 startNs = clock.nowNs();
    // Deadlines off the millisecond grid, in reverse creation order.
    for (int i = 0; i < Count; ++i) {
        timers.push_back(clock.createTimer());
        ClockTimer* timer = timers.back().get();
        connect(timer, &ClockTimer::timeout, this, [&, i] {
            firedAt[size_t(i)] = clock.nowNs();
            order.append(i);
        });
        timer->startAt(startNs + (Count - i) * 3 * NsPerMs + 123'457);
        QVERIFY(timer->isActive());
    }

    QTRY_COMPARE_WITH_TIMEOUT(order.size(), Count, 5000);
    for (int i = 0; i < Count; ++i) {
        const ClockTimer& timer = *timers[size_t(i)];
        QVERIFY(!timer.isActive());
        QVERIFY2(firedAt[size_t(i)] >= timer.deadlineNs(),
            qPrintable(QStringLiteral("timer %1 fired %2 ns early")
                           .arg(i)
                           .arg(timer.deadlineNs() - firedAt[size_t(i)])));
        QCOMPARE(order.at(i), Count - 1 - i);
    }
}

void TestClock::stoppedTimerStaysSilent()
{
    SystemClock clock;
    const auto stopped = clock.createTimer();
    const auto witness = clock.createTimer();
    QSignalSpy stoppedFired(stopped.get(), &ClockTimer::timeout);
    QSignalSpy witnessFired(witness.get(), &ClockTimer::timeout);
    stopped->startAt(clock.nowNs() + 5 * NsPerMs);
    witness->startAt(clock.nowNs() + 30 * NsPerMs);
    stopped->stop();
    QVERIFY(!stopped->isActive());

    QTRY_COMPARE_WITH_TIMEOUT(witnessFired.count(), 1, 5000);
    QCOMPARE(stoppedFired.count(), 0);
}

void TestClock::restartMovesTheDeadline()
{
    SystemClock clock;
    const auto timer = clock.createTimer();
    QSignalSpy fired(timer.get(), &ClockTimer::timeout);
    qint64 firedAt = -1;
    connect(timer.get(), &ClockTimer::timeout, this, [&] { firedAt = clock.nowNs(); });
    timer->startAt(clock.nowNs() + 5 * NsPerMs);
    const qint64 later = clock.nowNs() + 40 * NsPerMs;
    timer->startAt(later);
    QCOMPARE(timer->deadlineNs(), later);

    QTRY_COMPARE_WITH_TIMEOUT(fired.count(), 1, 5000);
    QVERIFY(firedAt >= later);
    QTest::qWait(20);
    QCOMPARE(fired.count(), 1); // once, at the new deadline only
}

void TestClock::pastDeadlineFiresAtOnce()
{
    SystemClock clock;
    const auto timer = clock.createTimer();
    QSignalSpy fired(timer.get(), &ClockTimer::timeout);
    timer->startAt(clock.nowNs() - 10 * NsPerMs);
    QVERIFY(timer->isActive());
    QCOMPARE(fired.count(), 0); // never from inside startAt()
    QTRY_COMPARE_WITH_TIMEOUT(fired.count(), 1, 5000);
    QVERIFY(!timer->isActive());
}

QTEST_GUILESS_MAIN(TestClock)
#include "tst_clock.moc"
