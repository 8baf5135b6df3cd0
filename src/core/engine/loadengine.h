#pragma once

#include "agent/requestrecord.h"
#include "config/options.h"
#include "prompts/promptpool.h"

#include <QObject>
#include <QPointer>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <vector>

namespace aimload {

class Clock;
class ClockTimer;
class RequestSender;

struct EngineSettings
{
    std::chrono::milliseconds pacing {std::chrono::seconds(720)};
    AbOrder abOrder = AbOrder::Sequential;
    int users = 1;
    double spawnRate = 1.0;
    std::optional<std::chrono::milliseconds> runTime;
    std::optional<int> cycles;
    bool waitHealthy = true;
    bool traceContext = true;
    quint64 seed = 0;
    std::chrono::milliseconds healthRetryFirst {std::chrono::seconds(1)};
    std::chrono::milliseconds healthRetryMax {std::chrono::seconds(30)};

    static EngineSettings fromOptions(const Options& options, quint64 seed);
};

// One cycle: a prompt sent to Model A and Model B by one user.
struct CycleInfo
{
    quint64 cycle = 0; // numbered from 1 across all users
    int user = 0; // numbered from 0
    qint64 slot = -1; // grid slot k (start at gridStart + k * pacing); -1 when triggered
    bool triggered = false;
    qint64 startedNs = 0;
    qint64 scheduledNs = 0; // the grid point; equals startedNs for a triggered cycle
    QDateTime startedAt;
    QString traceId; // empty when trace context is off
    Prompt prompt;
    int failures = 0;
    int cancelled = 0;

    // How late the cycle started after its grid point; -1 for a triggered cycle, which has none.
    qint64 startDelayNs() const
    {
        return triggered || slot < 0 ? -1 : std::max<qint64>(0, startedNs - scheduledNs);
    }
};

struct TriggerResult
{
    bool accepted = false;
    QString reason; // why it was refused
};

// Runs the users' pacing grids and their cycles. It reports everything as plain values;
// the window, the headless log and the statistics subscribe. Start, stop and trigger now
// are its only controls.
class LoadEngine : public QObject
{
    Q_OBJECT

public:
    enum class State
    {
        Idle,
        WaitingForAgent,
        Running,
        Stopped
    };
    Q_ENUM(State)

    LoadEngine(EngineSettings settings, PromptPool pool, RequestSender* sender, Clock* clock,
        QObject* parent = nullptr);
    ~LoadEngine() override;

    void start();
    // Ends the run: in-flight requests are reported as cancelled before this returns.
    void stop();
    TriggerResult triggerNow();
    // Continues an earlier run's cycle numbers: the next cycle is lastCycle + 1.
    void continueNumberingAfter(quint64 lastCycle);

    State state() const { return m_state; }
    const EngineSettings& settings() const { return m_settings; }
    const PromptPool& pool() const { return m_pool; }
    quint64 cyclesStarted() const { return m_cycleCounter; }
    quint64 cyclesCompleted() const { return m_cyclesCompleted; }
    // Slots passed without a cycle so far, counting those a running cycle overlaps now.
    quint64 slotsSkipped() const;
    int requestsInFlight() const { return m_inFlight; }
    // Nanoseconds on the engine's clock until the next grid slot of any user, or -1.
    qint64 nextSlotInNs() const;

Q_SIGNALS:
    void stateChanged(aimload::LoadEngine::State state);
    void healthWaiting(int attempt, const QString& error, qint64 retryInMs);
    void agentHealthy(int attempts);
    void cycleStarted(const aimload::CycleInfo& cycle);
    void cycleFinished(const aimload::CycleInfo& cycle);
    // Slots firstSlot .. firstSlot + count - 1 of the user passed without a cycle: one
    // report per stretch, when it is known to be over (a long cycle at a short pacing
    // would otherwise raise one event per slot).
    void skippedSlots(int user, qint64 firstSlot, qint64 count, const QString& reason);
    void requestStarted(const aimload::RequestRecord& record);
    void requestFinished(const aimload::RequestRecord& record);
    // The run is over: "cycle limit reached", "run time reached" or "stopped".
    void finished(const QString& reason);

private:
    struct User;

    void setState(State state);
    void onHealthChecked(bool healthy, const QString& error);
    void beginRun();
    void spawnUser(int index);
    void onSlot(User& user);
    void scheduleNextSlot(User& user);
    void startCycle(User& user, qint64 slot, qint64 scheduledNs);
    void sendRequest(User& user, Model model);
    void onRequestFinished(const RequestRecord& record);
    void finishCycle(User& user);
    void reportSlotsSkippedDuringCycle(User& user, const CycleInfo& cycle);
    qint64 firstFreeSlot(const User& user) const;
    bool userDone(const User& user) const;
    void checkAllDone();
    void end(const QString& reason);

    EngineSettings m_settings;
    PromptPool m_pool;
    QPointer<RequestSender> m_sender;
    Clock* m_clock = nullptr;
    State m_state = State::Idle;

    std::vector<std::unique_ptr<User>> m_users;
    std::unique_ptr<ClockTimer> m_healthTimer;
    std::unique_ptr<ClockTimer> m_spawnTimer;
    std::unique_ptr<ClockTimer> m_runTimer;
    std::mt19937_64 m_traceRng;
    int m_healthAttempts = 0;
    quint64 m_starts = 0;
    int m_spawned = 0;
    qint64 m_gridStartNs = 0;
    quint64 m_cycleCounter = 0;
    quint64 m_cyclesCompleted = 0;
    quint64 m_slotsSkipped = 0;
    quint64 m_requestCounter = 0;
    int m_inFlight = 0;
    bool m_ending = false;
};

} // namespace aimload
