#include "engine/clock.h"

#include <QPointer>
#include <QTimer>

#include <algorithm>
#include <limits>
#include <optional>

#if defined(Q_OS_LINUX)
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#endif

namespace aimload {

class SystemTimer : public ClockTimer
{
public:
    explicit SystemTimer(SystemClock* clock)
        : m_clock(clock)
    {
        m_clock->m_timers.append(this);
        if (m_clock->sharesTimerFd())
            return;
        m_timer.setSingleShot(true);
        m_timer.setTimerType(Qt::PreciseTimer);
        connect(&m_timer, &QTimer::timeout, this, &SystemTimer::fire);
    }

    ~SystemTimer() override
    {
        if (m_clock) {
            m_clock->m_timers.removeOne(this);
            if (m_active)
                m_clock->schedule();
        }
    }

    void startAt(qint64 deadlineNs) override
    {
        m_deadlineNs = deadlineNs;
        m_active = true;
        if (!m_clock)
            return;
        if (m_clock->sharesTimerFd())
            m_clock->schedule();
        else
            armQTimer();
    }

    void stop() override
    {
        const bool wasActive = m_active;
        m_active = false;
        m_timer.stop();
        if (wasActive && m_clock && m_clock->sharesTimerFd())
            m_clock->schedule();
    }

    bool isActive() const override { return m_active; }
    qint64 deadlineNs() const override { return m_deadlineNs; }

    // Fires when due; a wake-up before the deadline arms again.
    void fire()
    {
        if (!m_active || !m_clock)
            return;
        if (m_clock->nowNs() < m_deadlineNs) {
            if (!m_clock->sharesTimerFd())
                armQTimer();
            return;
        }
        m_active = false;
        Q_EMIT timeout();
    }

private:
    void armQTimer()
    {
        const qint64 remainingNs = m_deadlineNs - m_clock->nowNs();
        // Round up: a precise QTimer never fires early, so waking at the deadline's
        // millisecond or just after keeps every slot on or after its grid point.
        m_timer.start(int(std::clamp<qint64>(
            (remainingNs + 999'999) / 1'000'000, 0, std::numeric_limits<int>::max())));
    }

    QPointer<SystemClock> m_clock;
    QTimer m_timer;
    qint64 m_deadlineNs = 0;
    bool m_active = false;
};

SystemClock::SystemClock(QObject* parent)
    : Clock(parent)
{
    m_elapsed.start();
#if defined(Q_OS_LINUX)
    // QElapsedTimer counts CLOCK_MONOTONIC here, the clock the timerfd runs on.
    if (QElapsedTimer::clockType() == QElapsedTimer::MonotonicClock)
        m_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (m_fd >= 0) {
        m_notifier = new QSocketNotifier(qintptr(m_fd), QSocketNotifier::Read, this);
        m_notifier->setEnabled(false);
        connect(m_notifier, &QSocketNotifier::activated, this, [this] {
            quint64 expirations = 0;
            [[maybe_unused]] const auto got = ::read(m_fd, &expirations, sizeof expirations);
            m_armedNs.reset();
            fireDue();
        });
    }
#endif
}

SystemClock::~SystemClock()
{
    // Timers that outlive the clock fire no more.
    for (SystemTimer* timer : std::as_const(m_timers))
        timer->stop();
    delete m_notifier;
#if defined(Q_OS_LINUX)
    if (m_fd >= 0)
        ::close(m_fd);
#endif
}

std::unique_ptr<ClockTimer> SystemClock::createTimer()
{
    return std::make_unique<SystemTimer>(this);
}

void SystemClock::schedule()
{
#if defined(Q_OS_LINUX)
    if (m_firing || m_fd < 0)
        return; // fireDue() schedules once it is done
    std::optional<qint64> earliest; // deadlines may be negative: the clock starts at 0
    for (const SystemTimer* timer : std::as_const(m_timers)) {
        if (timer->isActive() && (!earliest || timer->deadlineNs() < *earliest))
            earliest = timer->deadlineNs();
    }
    // Most changes leave the earliest deadline where it was (a user's next slot lies
    // behind another's): no system call then.
    if (earliest == m_armedNs)
        return;
    m_armedNs = earliest;
    itimerspec spec {};
    if (earliest) {
        timespec now {};
        clock_gettime(CLOCK_MONOTONIC, &now);
        // An absolute time, which a timerfd never fires before. Zero would disarm it: a
        // deadline already past is a nanosecond from now.
        const qint64 atNs = qint64(now.tv_sec) * 1'000'000'000 + now.tv_nsec
            + std::max<qint64>(*earliest - nowNs(), 1);
        spec.it_value.tv_sec = atNs / 1'000'000'000;
        spec.it_value.tv_nsec = atNs % 1'000'000'000;
    }
    timerfd_settime(m_fd, TFD_TIMER_ABSTIME, &spec, nullptr);
    m_notifier->setEnabled(earliest.has_value());
#endif
}

// The timers due when the timerfd woke, earliest deadline first. A timeout may start,
// stop, create or delete timers (the clock too): one restarted for a time already past
// fires on the next wake-up, from the event loop, as a QTimer would.
void SystemClock::fireDue()
{
    const qint64 now = nowNs();
    QList<std::pair<qint64, SystemTimer*>> due;
    for (SystemTimer* timer : std::as_const(m_timers)) {
        if (timer->isActive() && timer->deadlineNs() <= now)
            due.append({timer->deadlineNs(), timer});
    }
    std::stable_sort(
        due.begin(), due.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    const QPointer<SystemClock> alive(this);
    m_firing = true;
    for (const auto& [deadline, timer] : std::as_const(due)) {
        if (m_timers.contains(timer) && timer->isActive() && timer->deadlineNs() == deadline)
            timer->fire();
        if (!alive)
            return;
    }
    m_firing = false;
    schedule();
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
