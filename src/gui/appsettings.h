#pragma once

#include "config/options.h"

#include <QByteArray>
#include <QLatin1StringView>
#include <QObject>
#include <QUrl>

#include <chrono>
#include <memory>

class QSettings;

namespace aimload {

// Every key aimload stores, in one place.
namespace SettingsKey {
inline constexpr QLatin1StringView AgentUrl {"agent/url"};
inline constexpr QLatin1StringView UseSimulator {"agent/simulate"};
inline constexpr QLatin1StringView SimulatorSpeed {"agent/simSpeed"};
inline constexpr QLatin1StringView Pacing {"load/pacing"};
inline constexpr QLatin1StringView AbOrder {"load/abOrder"};
inline constexpr QLatin1StringView Users {"load/users"};
inline constexpr QLatin1StringView ChatTimeout {"load/chatTimeout"};
inline constexpr QLatin1StringView RepairTimeout {"load/repairTimeout"};
inline constexpr QLatin1StringView PromptsFile {"prompts/file"};
inline constexpr QLatin1StringView UiStateVersion {"window/stateVersion"};
inline constexpr QLatin1StringView Geometry {"window/geometry"};
inline constexpr QLatin1StringView WindowState {"window/state"};
inline constexpr QLatin1StringView RequestsSplitter {"window/requestsSplitter"};
inline constexpr QLatin1StringView RequestsHeader {"window/requestsHeader"};
inline constexpr QLatin1StringView StatisticsHeader {"window/statisticsHeader"};
inline constexpr QLatin1StringView FailuresHeader {"window/failuresHeader"};
inline constexpr QLatin1StringView LogHeader {"window/logHeader"};
inline constexpr QLatin1StringView CurrentPage {"window/currentPage"};
} // namespace SettingsKey

// The window's stored settings: typed getters, setters that emit …Changed only when the
// value really changes. Values that do not read back as valid (a hand-edited file) give
// the built-in default.
class AppSettings : public QObject
{
    Q_OBJECT

public:
    // Pieces of window layout; all are stored with UiStateVersion and dropped when a
    // later aimload changes their shape.
    enum class UiState
    {
        Geometry,
        WindowState,
        RequestsSplitter,
        RequestsHeader,
        StatisticsHeader,
        FailuresHeader,
        LogHeader,
    };

    static constexpr int UiStateVersion = 1;

    // The user's settings in the platform's usual place (~/.config/aimload/aimload.conf).
    explicit AppSettings(QObject* parent = nullptr);
    // An INI file of its own: for tests and for running two aimload windows side by side.
    explicit AppSettings(const QString& iniFile, QObject* parent = nullptr);
    ~AppSettings() override;

    QUrl agentUrl() const;
    bool useSimulator() const;
    double simulatorSpeed() const;
    std::chrono::milliseconds pacing() const;
    AbOrder abOrder() const;
    int users() const;
    std::chrono::milliseconds chatTimeout() const;
    std::chrono::milliseconds repairTimeout() const;
    QString promptsFile() const; // empty for the built-in pool

    void setAgentUrl(const QUrl& url);
    void setUseSimulator(bool use);
    void setSimulatorSpeed(double speed);
    void setPacing(std::chrono::milliseconds pacing);
    void setAbOrder(AbOrder order);
    void setUsers(int users);
    void setChatTimeout(std::chrono::milliseconds timeout);
    void setRepairTimeout(std::chrono::milliseconds timeout);
    void setPromptsFile(const QString& path);

    // Empty when nothing was saved or it was saved by another UiStateVersion.
    QByteArray uiState(UiState which) const;
    void setUiState(UiState which, const QByteArray& state);
    int currentPage() const;
    void setCurrentPage(int index);

    QString fileName() const;
    void sync();

Q_SIGNALS:
    void agentUrlChanged(const QUrl& url);
    void useSimulatorChanged(bool use);
    void simulatorSpeedChanged(double speed);
    void pacingChanged(std::chrono::milliseconds pacing);
    void abOrderChanged(aimload::AbOrder order);
    void usersChanged(int users);
    void chatTimeoutChanged(std::chrono::milliseconds timeout);
    void repairTimeoutChanged(std::chrono::milliseconds timeout);
    void promptsFileChanged(const QString& path);

private:
    std::chrono::milliseconds duration(
        QLatin1StringView key, std::chrono::milliseconds fallback) const;

    std::unique_ptr<QSettings> m_settings;
};

} // namespace aimload
