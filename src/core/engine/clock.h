#pragma once

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>

#include <memory>

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

class SystemClock : public Clock
{
    Q_OBJECT

public:
    explicit SystemClock(QObject* parent = nullptr);

    qint64 nowNs() const override { return m_elapsed.nsecsElapsed(); }
    QDateTime wallNow() const override { return QDateTime::currentDateTimeUtc(); }
    std::unique_ptr<ClockTimer> createTimer() override;

private:
    QElapsedTimer m_elapsed;
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
