#pragma once

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QSocketNotifier>

#include <memory>
#include <optional>

namespace aimload {

// A one-shot timer that fires at an absolute time of its clock.
class ClockTimer : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;

    virtual void startAt(qint64 deadlineNs) = 0;
    virtual void stop() = 0;
    virtual bool isActive() const = 0;
    virtual qint64 deadlineNs() const = 0;

Q_SIGNALS:
    void timeout();
};

// The engine's only source of time: monotonic nanoseconds and timers on the same scale.
// Tests give the engine a ManualClock and drive days of pacing in milliseconds.
class Clock : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;

    virtual qint64 nowNs() const = 0;
    virtual QDateTime wallNow() const = 0;
    virtual std::unique_ptr<ClockTimer> createTimer() = 0;
};

class SystemTimer;

// Monotonic time. On Linux its timers share one timerfd armed at the earliest absolute
// deadline, so that they fire to the microsecond rather than the millisecond, and timers
// due together fire in deadline order; elsewhere each is a precise QTimer.
class SystemClock : public Clock
{
    Q_OBJECT

public:
    explicit SystemClock(QObject* parent = nullptr);
    ~SystemClock() override;

    qint64 nowNs() const override { return m_elapsed.nsecsElapsed(); }
    QDateTime wallNow() const override { return QDateTime::currentDateTimeUtc(); }
    std::unique_ptr<ClockTimer> createTimer() override;

private:
    friend class SystemTimer;
    bool sharesTimerFd() const { return m_fd >= 0; }
    void schedule(); // arms the timerfd for the earliest active deadline
    void fireDue();

    QElapsedTimer m_elapsed;
    QList<SystemTimer*> m_timers;
    int m_fd = -1;
    QSocketNotifier* m_notifier = nullptr;
    std::optional<qint64> m_armedNs; // the deadline the timerfd is set for
    bool m_firing = false;
};

class ManualTimer;

class ManualClock : public Clock
{
    Q_OBJECT

public:
    explicit ManualClock(QObject* parent = nullptr);

    qint64 nowNs() const override { return m_nowNs; }
    QDateTime wallNow() const override;
    std::unique_ptr<ClockTimer> createTimer() override;

    // Moves time forward, firing every timer that falls due on the way, in order.
    void advanceNs(qint64 ns);
    void advanceMs(qint64 ms) { advanceNs(ms * 1'000'000); }
    int activeTimers() const;

private:
    friend class ManualTimer;

    qint64 m_nowNs = 0;
    QDateTime m_wallStart;
    QList<ManualTimer*> m_timers;
};

} // namespace aimload
