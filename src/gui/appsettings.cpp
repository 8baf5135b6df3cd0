#include "appsettings.h"

#include "config/duration.h"

#include <QSettings>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

QLatin1StringView uiStateKey(AppSettings::UiState which)
{
    switch (which) {
    case AppSettings::UiState::Geometry:
        return SettingsKey::Geometry;
    case AppSettings::UiState::WindowState:
        return SettingsKey::WindowState;
    case AppSettings::UiState::RequestsSplitter:
        return SettingsKey::RequestsSplitter;
    case AppSettings::UiState::RequestsHeader:
        return SettingsKey::RequestsHeader;
    case AppSettings::UiState::StatisticsHeader:
        return SettingsKey::StatisticsHeader;
    case AppSettings::UiState::FailuresHeader:
        return SettingsKey::FailuresHeader;
    case AppSettings::UiState::LogHeader:
        return SettingsKey::LogHeader;
    }
    return SettingsKey::Geometry;
}

QString abOrderName(AbOrder order)
{
    return order == AbOrder::Parallel ? u"parallel"_s : u"sequential"_s;
}

} // namespace

// Named here rather than through the application's organisation name, which would also
// move the journal's default folder.
AppSettings::AppSettings(QObject* parent)
    : QObject(parent)
    , m_settings(std::make_unique<QSettings>(u"aimload"_s, u"aimload"_s))
{ }

AppSettings::AppSettings(const QString& iniFile, QObject* parent)
    : QObject(parent)
    , m_settings(std::make_unique<QSettings>(iniFile, QSettings::IniFormat))
{ }

AppSettings::~AppSettings() = default;

QUrl AppSettings::agentUrl() const
{
    const QUrl url(m_settings->value(SettingsKey::AgentUrl).toString(), QUrl::StrictMode);
    const bool usable = url.isValid() && !url.host().isEmpty()
        && (url.scheme() == u"http" || url.scheme() == u"https");
    return usable ? url : Options().host;
}

bool AppSettings::useSimulator() const
{
    return m_settings->value(SettingsKey::UseSimulator, Options().simulate).toBool();
}

double AppSettings::simulatorSpeed() const
{
    bool ok = false;
    const double speed = m_settings->value(SettingsKey::SimulatorSpeed).toDouble(&ok);
    return ok && speed > 0.0 && speed <= 1e6 ? speed : Options().simSpeed;
}

std::chrono::milliseconds AppSettings::pacing() const
{
    return duration(SettingsKey::Pacing, Options().pacing);
}

AbOrder AppSettings::abOrder() const
{
    const QString name = m_settings->value(SettingsKey::AbOrder).toString();
    return name == abOrderName(AbOrder::Parallel) ? AbOrder::Parallel : AbOrder::Sequential;
}

int AppSettings::users() const
{
    bool ok = false;
    const int users = m_settings->value(SettingsKey::Users).toInt(&ok);
    return ok && users >= 1 && users <= 10000 ? users : Options().users;
}

std::chrono::milliseconds AppSettings::chatTimeout() const
{
    return duration(SettingsKey::ChatTimeout, Options().chatTimeout);
}

std::chrono::milliseconds AppSettings::repairTimeout() const
{
    return duration(SettingsKey::RepairTimeout, Options().repairTimeout);
}

QString AppSettings::promptsFile() const
{
    return m_settings->value(SettingsKey::PromptsFile).toString();
}

std::chrono::milliseconds AppSettings::duration(
    QLatin1StringView key, std::chrono::milliseconds fallback) const
{
    const auto parsed = parseDuration(m_settings->value(key).toString());
    return parsed && parsed->count() > 0 ? *parsed : fallback;
}

void AppSettings::setAgentUrl(const QUrl& url)
{
    const bool changed = url != agentUrl();
    m_settings->setValue(SettingsKey::AgentUrl, url.toString());
    if (changed)
        Q_EMIT agentUrlChanged(url);
}

void AppSettings::setUseSimulator(bool use)
{
    const bool changed = use != useSimulator();
    m_settings->setValue(SettingsKey::UseSimulator, use);
    if (changed)
        Q_EMIT useSimulatorChanged(use);
}

void AppSettings::setSimulatorSpeed(double speed)
{
    const bool changed = speed != simulatorSpeed();
    m_settings->setValue(SettingsKey::SimulatorSpeed, speed);
    if (changed)
        Q_EMIT simulatorSpeedChanged(speed);
}

void AppSettings::setPacing(std::chrono::milliseconds pacing)
{
    const bool changed = pacing != this->pacing();
    m_settings->setValue(SettingsKey::Pacing, formatDuration(pacing));
    if (changed)
        Q_EMIT pacingChanged(pacing);
}

void AppSettings::setAbOrder(AbOrder order)
{
    const bool changed = order != abOrder();
    m_settings->setValue(SettingsKey::AbOrder, abOrderName(order));
    if (changed)
        Q_EMIT abOrderChanged(order);
}

void AppSettings::setUsers(int users)
{
    const bool changed = users != this->users();
    m_settings->setValue(SettingsKey::Users, users);
    if (changed)
        Q_EMIT usersChanged(users);
}

void AppSettings::setChatTimeout(std::chrono::milliseconds timeout)
{
    const bool changed = timeout != chatTimeout();
    m_settings->setValue(SettingsKey::ChatTimeout, formatDuration(timeout));
    if (changed)
        Q_EMIT chatTimeoutChanged(timeout);
}

void AppSettings::setRepairTimeout(std::chrono::milliseconds timeout)
{
    const bool changed = timeout != repairTimeout();
    m_settings->setValue(SettingsKey::RepairTimeout, formatDuration(timeout));
    if (changed)
        Q_EMIT repairTimeoutChanged(timeout);
}

void AppSettings::setPromptsFile(const QString& path)
{
    const bool changed = path != promptsFile();
    m_settings->setValue(SettingsKey::PromptsFile, path);
    if (changed)
        Q_EMIT promptsFileChanged(path);
}

QByteArray AppSettings::uiState(UiState which) const
{
    if (m_settings->value(SettingsKey::UiStateVersion).toInt() != UiStateVersion)
        return {};
    return m_settings->value(uiStateKey(which)).toByteArray();
}

void AppSettings::setUiState(UiState which, const QByteArray& state)
{
    // Pieces saved by an older layout must not be mixed with new ones.
    if (m_settings->value(SettingsKey::UiStateVersion).toInt() != UiStateVersion) {
        for (const UiState piece : {UiState::Geometry, UiState::WindowState,
                 UiState::RequestsSplitter, UiState::RequestsHeader, UiState::StatisticsHeader,
                 UiState::FailuresHeader, UiState::LogHeader})
            m_settings->remove(uiStateKey(piece));
        m_settings->setValue(SettingsKey::UiStateVersion, UiStateVersion);
    }
    m_settings->setValue(uiStateKey(which), state);
}

int AppSettings::currentPage() const
{
    return m_settings->value(SettingsKey::CurrentPage, 0).toInt();
}

void AppSettings::setCurrentPage(int index)
{
    m_settings->setValue(SettingsKey::CurrentPage, index);
}

QString AppSettings::fileName() const
{
    return m_settings->fileName();
}

void AppSettings::sync()
{
    m_settings->sync();
}

} // namespace aimload
