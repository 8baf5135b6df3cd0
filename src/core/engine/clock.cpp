#include "engine/clock.h"

#include <QPointer>
#include <QTimer>

#include <algorithm>

#include <limits>

namespace aimload {

namespace {

class SystemTimer : public ClockTimer
{
public:
    explicit SystemTimer(const QElapsedTimer& elapsed)
        : m_elapsed(elapsed)
    {
        m_timer.setSingleShot(true);
        m_timer.setTimerType(Qt::PreciseTimer);
        connect(&m_timer, &QTimer::timeout, this, &SystemTimer::onTimeout);
    }

    void startAt(qint64 deadlineNs) override
    {
        m_deadlineNs = deadlineNs;
        m_active = true;
        arm();
    }

    void stop() override
    {
        m_active = false;
        m_timer.stop();
    }

    bool isActive() const override { return m_active; }
    qint64 deadlineNs() const override { return m_deadlineNs; }

private:
    void arm()
    {
        const qint64 remainingNs = m_deadlineNs - m_elapsed.nsecsElapsed();
        // Round up: a precise QTimer never fires early, so waking at the deadline's
        // millisecond or just after keeps every slot on or after its grid point.
        m_timer.start(int(std::clamp<qint64>(
            (remainingNs + 999'999) / 1'000'000, 0, std::numeric_limits<int>::max())));
    }

    void onTimeout()
    {
        if (!m_active)
            return;
        if (m_elapsed.nsecsElapsed() < m_deadlineNs) {
            arm();
            return;
        }
        m_active = false;
        Q_EMIT timeout();
    }

    const QElapsedTimer& m_elapsed;
    QTimer m_timer;
    qint64 m_deadlineNs = 0;
    bool m_active = false;
};

} // namespace

SystemClock::SystemClock(QObject* parent)
    : Clock(parent)
{
    m_elapsed.start();
}

std::unique_ptr<ClockTimer> SystemClock::createTimer()
{
    return std::make_unique<SystemTimer>(m_elapsed);
}

class ManualTimer : public ClockTimer
{
public:
    explicit ManualTimer(ManualClock* clock)
        : m_clock(clock)
    {
        m_clock->m_timers.append(this);
    }

    ~ManualTimer() override
    {
        if (m_clock)
            m_clock->m_timers.removeOne(this);
    }

    void startAt(qint64 deadlineNs) override
    {
        m_deadlineNs = deadlineNs;
        m_active = true;
        m_sequence = ++s_sequence;
    }

    void stop() override { m_active = false; }
    bool isActive() const override { return m_active; }
    qint64 deadlineNs() const override { return m_deadlineNs; }

    void fire()
    {
        m_active = false;
        Q_EMIT timeout();
    }

    quint64 sequence() const { return m_sequence; }

    QPointer<ManualClock> m_clock;

private:
    static inline quint64 s_sequence = 0;
    qint64 m_deadlineNs = 0;
    quint64 m_sequence = 0;
    bool m_active = false;
};

ManualClock::ManualClock(QObject* parent)
    : Clock(parent)
    , m_wallStart(QDateTime::currentDateTimeUtc())
{ }

QDateTime ManualClock::wallNow() const
{
    return m_wallStart.addMSecs(m_nowNs / 1'000'000);
}

std::unique_ptr<ClockTimer> ManualClock::createTimer()
{
    return std::make_unique<ManualTimer>(this);
}

void ManualClock::advanceNs(qint64 ns)
{
    const qint64 target = m_nowNs + ns;
    for (;;) {
        ManualTimer* next = nullptr;
        for (ManualTimer* timer : std::as_const(m_timers)) {
            if (!timer->isActive() || timer->deadlineNs() > target)
                continue;
            if (!next || timer->deadlineNs() < next->deadlineNs()
                || (timer->deadlineNs() == next->deadlineNs()
                    && timer->sequence() < next->sequence()))
                next = timer;
        }
        if (!next)
            break;
        m_nowNs = std::max(m_nowNs, next->deadlineNs());
        next->fire();
    }
    m_nowNs = target;
}

int ManualClock::activeTimers() const
{
    return int(std::count_if(m_timers.cbegin(), m_timers.cend(),
        [](const ManualTimer* timer) { return timer->isActive(); }));
}

} // namespace aimload
