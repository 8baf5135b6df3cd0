#include "mainwindow.h"
#include "ui_mainwindow.h"

#include "appsettings.h"
#include "config/duration.h"
#include "guilogging.h"
#include "icons.h"
#include "models/abcomparisonmodel.h"
#include "models/chartdata.h"
#include "models/failuresmodel.h"
#include "models/logmodel.h"
#include "models/requesttablemodel.h"
#include "models/statstablemodel.h"
#include "session/loadsession.h"
#include "settingsdialog.h"

#include <QCloseEvent>
#include <QMessageBox>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

constexpr auto RefreshInterval = std::chrono::milliseconds(250);
constexpr int TriggerNoticeMs = 8000;

} // namespace

MainWindow::MainWindow(AppSettings* settings, LaunchOptions launch, QWidget* parent)
    : QMainWindow(parent)
    , m_ui(std::make_unique<Ui::MainWindow>())
    , m_settings(settings)
    , m_launch(std::move(launch))
    , m_run(new RunController(this))
{
    m_ui->setupUi(this);
    setWindowIcon(Icons::application());
    setupActions();
    setupModels();
    setupPages();
    connectRun();
    restoreLayout();

    m_tick.setSingleShot(true);
    m_tick.setTimerType(Qt::PreciseTimer);
    connect(&m_tick, &QTimer::timeout, this, &MainWindow::refreshStrip);
    m_refresh.setSingleShot(true);
    m_refresh.setInterval(RefreshInterval);
    connect(&m_refresh, &QTimer::timeout, this, &MainWindow::refreshViews);

    applyOptions();
    updateActions();
    refreshStrip();
}

MainWindow::~MainWindow() = default;

BannerBar* MainWindow::banner() const
{
    return m_ui->banner;
}

SettingsDialog* MainWindow::settingsDialog() const
{
    return m_settingsDialog;
}

void MainWindow::setupActions()
{
    m_ui->actionStart->setIcon(Icons::start());
    m_ui->actionStop->setIcon(Icons::stop());
    m_ui->actionTriggerNow->setIcon(Icons::triggerNow());
    m_ui->actionSettings->setIcon(Icons::settings());
    m_ui->actionClearResults->setIcon(Icons::clear());
    m_ui->actionSettings->setShortcuts(QKeySequence::Preferences);
    if (m_ui->actionSettings->shortcut().isEmpty())
        m_ui->actionSettings->setShortcut(QKeySequence(u"Ctrl+,"_s));
    m_ui->actionQuit->setShortcuts(QKeySequence::Quit);

    // Tooltips name the shortcut, since presenters rarely open the menus.
    for (QAction* action :
        {m_ui->actionStart, m_ui->actionStop, m_ui->actionTriggerNow, m_ui->actionSettings}) {
        const QString keys = action->shortcut().toString(QKeySequence::NativeText);
        if (!keys.isEmpty())
            action->setToolTip(tr("%1 (%2)").arg(action->toolTip(), keys));
    }

    connect(m_ui->actionStart, &QAction::triggered, this, &MainWindow::start);
    connect(m_ui->actionStop, &QAction::triggered, this, &MainWindow::stop);
    connect(m_ui->actionTriggerNow, &QAction::triggered, this, &MainWindow::triggerNow);
    connect(m_ui->actionSettings, &QAction::triggered, this, &MainWindow::showSettings);
    connect(m_ui->actionClearResults, &QAction::triggered, this, &MainWindow::clearResults);
    connect(m_ui->actionQuit, &QAction::triggered, this, &QWidget::close);
    connect(m_ui->actionAbout, &QAction::triggered, this, &MainWindow::showAbout);
}

void MainWindow::setupModels()
{
    m_requests = new RequestTableModel(this);
    m_statsModel = new StatsTableModel(this);
    m_comparison = new AbComparisonModel(this);
    m_failures = new FailuresModel(this);
    m_log = new LogModel(this);
    m_chartData = new ChartData(this);
}

void MainWindow::setupPages()
{
    m_ui->requestsPage->setModel(m_requests);
    m_ui->requestsPage->setAgentUrlSource(
        [this](const RequestRecord& record) { return m_run->agentUrlAt(record.startedAt); });
    m_ui->requestsPage->setBodySource(
        [this](const RequestRecord& record) { return m_run->journalledBody(record); });
    m_ui->statisticsPage->setModel(m_statsModel);
    m_ui->comparisonPage->setModel(m_comparison);
    m_ui->chartsPage->setData(m_chartData);
    m_ui->failuresPage->setModel(m_failures);
    m_ui->logPage->setModel(m_log);
}

void MainWindow::connectRun()
{
    connect(m_run, &RunController::requestStarted, m_requests, &RequestTableModel::addStarted);
    connect(m_run, &RunController::requestFinished, m_requests, &RequestTableModel::addFinished);
    connect(m_run, &RunController::requestFinished, m_failures, &FailuresModel::add);
    connect(m_run, &RunController::requestFinished, m_chartData, &ChartData::add);
    connect(m_run, &RunController::requestRestored, m_requests, &RequestTableModel::addFinished);
    connect(m_run, &RunController::requestRestored, m_failures, &FailuresModel::add);
    connect(m_run, &RunController::requestRestored, m_chartData, &ChartData::add);
    connect(m_run, &RunController::logLine, m_log, &LogModel::addLine);
    connect(m_run, &RunController::sessionWarnings, this, &MainWindow::onSessionWarnings);
    connect(m_run, &RunController::statsChanged, this, &MainWindow::scheduleRefresh);
    // In flight at once, and the countdown to the next slot once a cycle has begun.
    connect(m_run, &RunController::requestStarted, this, &MainWindow::scheduleRefresh);
    connect(m_run, &RunController::sessionChanged, this, &MainWindow::onSessionChanged);
    connect(m_run, &RunController::stateChanged, this, &MainWindow::onStateChanged);
    connect(m_run, &RunController::healthChanged, this, &MainWindow::onHealthChanged);
    connect(m_run, &RunController::healthWaiting, this, &MainWindow::onHealthWaiting);
    connect(m_run, &RunController::runFinished, this, &MainWindow::onRunFinished);
}

void MainWindow::restoreLayout()
{
    const QByteArray geometry = m_settings->uiState(AppSettings::UiState::Geometry);
    if (geometry.isEmpty() || !restoreGeometry(geometry))
        resize(1280, 820);
    restoreState(
        m_settings->uiState(AppSettings::UiState::WindowState), AppSettings::UiStateVersion);
    m_ui->requestsPage->restoreSplitterState(
        m_settings->uiState(AppSettings::UiState::RequestsSplitter));
    m_ui->requestsPage->restoreHeaderState(
        m_settings->uiState(AppSettings::UiState::RequestsHeader));
    m_ui->statisticsPage->restoreHeaderState(
        m_settings->uiState(AppSettings::UiState::StatisticsHeader));
    m_ui->failuresPage->restoreHeaderState(
        m_settings->uiState(AppSettings::UiState::FailuresHeader));
    m_ui->logPage->restoreHeaderState(m_settings->uiState(AppSettings::UiState::LogHeader));
    m_ui->pages->setCurrentIndex(
        std::clamp(m_settings->currentPage(), 0, m_ui->pages->count() - 1));
}

void MainWindow::saveLayout()
{
    using UiState = AppSettings::UiState;
    m_settings->setUiState(UiState::Geometry, saveGeometry());
    m_settings->setUiState(UiState::WindowState, saveState(AppSettings::UiStateVersion));
    m_settings->setUiState(UiState::RequestsSplitter, m_ui->requestsPage->saveSplitterState());
    m_settings->setUiState(UiState::RequestsHeader, m_ui->requestsPage->saveHeaderState());
    m_settings->setUiState(UiState::StatisticsHeader, m_ui->statisticsPage->saveHeaderState());
    m_settings->setUiState(UiState::FailuresHeader, m_ui->failuresPage->saveHeaderState());
    m_settings->setUiState(UiState::LogHeader, m_ui->logPage->saveHeaderState());
    m_settings->setCurrentPage(m_ui->pages->currentIndex());
    m_settings->sync();
}

void MainWindow::applyOptions()
{
    QString error;
    if (m_run->setOptions(m_launch.resolve(*m_settings), &error)) {
        m_ui->banner->clearMessage(BannerBar::Topic::Settings);
        return;
    }
    m_ui->banner->showMessage(BannerBar::Topic::Settings, BannerBar::Level::Error,
        tr("Nothing can be sent with the current settings: %1. Open Settings to choose another "
           "prompt file or agent; everything recorded so far stays.")
            .arg(error),
        m_ui->actionSettings);
    note(EventLog::Level::Error, tr("Settings unusable: %1").arg(error));
}

void MainWindow::showSettings()
{
    if (m_settingsDialog) {
        m_settingsDialog->raise();
        m_settingsDialog->activateWindow();
        return;
    }
    auto* dialog = new SettingsDialog(m_settings, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setRunActive(m_run->isActive());
    dialog->setOverridden(m_launch.overridden(), m_launch.options());
    connect(dialog, &QDialog::accepted, this,
        [this, dialog] { applySettings(dialog->changedOptions()); });
    m_settingsDialog = dialog;
    dialog->open();
}

void MainWindow::applySettings(const QStringList& changed)
{
    if (changed.isEmpty())
        return;
    for (const QString& name : changed)
        m_launch.release(name);

    const bool wasActive = m_run->isActive();
    applyOptions();
    const QString text = wasActive && m_run->isActive()
        ? tr("Settings saved; the run restarted with them.")
        : tr("Settings saved.");
    statusBar()->showMessage(text, TriggerNoticeMs);
    note(EventLog::Level::Info, text);
}

void MainWindow::start()
{
    if (!m_run->canStart())
        return;
    m_ui->banner->clearMessage(BannerBar::Topic::Trigger);
    m_run->start();
}

void MainWindow::stop()
{
    m_run->stop();
}

void MainWindow::triggerNow()
{
    const TriggerResult result = m_run->triggerNow();
    if (result.accepted) {
        m_ui->banner->clearMessage(BannerBar::Topic::Trigger);
        statusBar()->showMessage(tr("Cycle triggered."), TriggerNoticeMs);
        return;
    }
    const QString text = tr("Trigger now refused: %1.").arg(result.reason);
    statusBar()->showMessage(text, TriggerNoticeMs);
    m_ui->banner->showMessage(
        BannerBar::Topic::Trigger, BannerBar::Level::Info, text, nullptr, TriggerNoticeMs);
    note(EventLog::Level::Info, text);
}

void MainWindow::clearResults()
{
    m_run->clearResults();
    m_requests->clear();
    m_failures->clear();
    m_chartData->clear();
    m_statsModel->setStartTime(m_run->isActive() ? QDateTime::currentDateTimeUtc() : QDateTime());
    refreshViews();
    note(EventLog::Level::Info, tr("Results cleared."));
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About aimload"),
        tr("<h3>aimload %1</h3><p>Keeps a steady stream of weighted A/B prompts flowing into "
           "an AI agent, so its monitoring dashboards always have fresh data.</p>")
            .arg(QString::fromLatin1(AIMLOAD_VERSION)));
}

void MainWindow::onSessionChanged(LoadSession* session)
{
    if (session)
        m_chartData->setPromptPool(session->pool());
    if (!m_statsModel->startTime().isValid() && m_run->runStartedAt().isValid())
        m_statsModel->setStartTime(m_run->runStartedAt());
    m_ui->requestsPage->setGroups(m_run->groups());
    updateActions();
    refreshStrip();
}

// The engine also starts and stops through the status endpoint, not only through the
// toolbar, so the window follows its state rather than its own button presses.
void MainWindow::onStateChanged(LoadEngine::State state)
{
    if (state == LoadEngine::State::Running && !m_statsModel->startTime().isValid())
        m_statsModel->setStartTime(QDateTime::currentDateTimeUtc());
    updateActions();
}

void MainWindow::onHealthChanged(RunController::Health health, const QString& error)
{
    if (health != RunController::Health::Unhealthy) {
        m_ui->banner->clearMessage(BannerBar::Topic::Agent);
    } else if (m_run->state() != LoadEngine::State::WaitingForAgent) {
        const QString url = m_run->session() ? m_run->session()->agentUrl().toString() : QString();
        m_ui->banner->showMessage(BannerBar::Topic::Agent, BannerBar::Level::Warning,
            tr("The agent at %1 does not answer: %2. Check that it is running and reachable "
               "from this computer, or choose another agent in Settings. aimload checks again "
               "every %3 seconds.")
                .arg(url, error)
                .arg(RunController::HealthProbeInterval.count()),
            m_ui->actionSettings);
    }
    refreshStrip();
}

void MainWindow::onHealthWaiting(int attempt, const QString& error, qint64 retryInMs)
{
    Q_UNUSED(attempt);
    const QString url = m_run->session() ? m_run->session()->agentUrl().toString() : QString();
    m_ui->banner->showMessage(BannerBar::Topic::Agent, BannerBar::Level::Warning,
        tr("Waiting for the agent at %1: %2. The first cycle starts as soon as it answers; "
           "next try in %3. Check that the agent is running, or choose another in Settings.")
            .arg(url, error, formatDuration(std::chrono::milliseconds(retryInMs))),
        m_ui->actionSettings);
}

void MainWindow::onRunFinished(const QString& reason)
{
    statusBar()->showMessage(tr("Run ended: %1.").arg(reason), TriggerNoticeMs);
    updateActions();
}

void MainWindow::onSessionWarnings(const QStringList& warnings)
{
    if (warnings.isEmpty()) {
        m_ui->banner->clearMessage(BannerBar::Topic::Session);
        return;
    }
    m_ui->banner->showMessage(
        BannerBar::Topic::Session, BannerBar::Level::Warning, warnings.join(u'\n'));
}

void MainWindow::updateActions()
{
    const bool haveSession = m_run->session() != nullptr;
    m_ui->actionStart->setEnabled(m_run->canStart());
    m_ui->actionStop->setEnabled(m_run->isActive());
    m_ui->actionTriggerNow->setEnabled(m_run->state() == LoadEngine::State::Running);
    m_ui->actionStart->setStatusTip(
        haveSession ? QString() : tr("Fix the settings first: see the message above."));
    refreshStrip();
}

void MainWindow::scheduleRefresh()
{
    if (!m_refresh.isActive())
        m_refresh.start();
}

void MainWindow::refreshViews()
{
    m_statsModel->refresh(*m_run->stats());
    m_comparison->refresh(*m_run->stats());
    refreshStrip();
}

// The strip is redrawn when something it shows changes: on the run's events, and by this
// timer when the countdown or the age of a request in flight moves on, which is once a
// minute while the next cycle is minutes away.
void MainWindow::refreshStrip()
{
    m_ui->statusStrip->refresh(*m_run);
    const qint64 next = StatusStrip::nextChangeInMs(*m_run);
    if (next < 0 || !isVisible() || isMinimized())
        m_tick.stop();
    else
        m_tick.start(std::chrono::milliseconds(next));
}

void MainWindow::flushViews()
{
    m_requests->flush();
    m_failures->flush();
    m_log->flush();
    refreshViews();
    m_ui->chartsPage->redraw();
}

void MainWindow::note(EventLog::Level level, const QString& text)
{
    m_log->addLine(level, QDateTime::currentDateTimeUtc(), text);
}

// Nobody reads a countdown in a minimised or hidden window: the timer stops, and the strip
// is brought up to date when the window shows again.
void MainWindow::followVisibility()
{
    if (isVisible() && !isMinimized())
        refreshStrip();
    else
        m_tick.stop();
}

void MainWindow::changeEvent(QEvent* event)
{
    QMainWindow::changeEvent(event);
    if (event->type() == QEvent::WindowStateChange)
        followVisibility();
}

void MainWindow::showEvent(QShowEvent* event)
{
    QMainWindow::showEvent(event);
    followVisibility();
}

void MainWindow::hideEvent(QHideEvent* event)
{
    QMainWindow::hideEvent(event);
    followVisibility();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_run->isActive())
        qCDebug(lcGui) << "window closed during a run: stopping it";
    // Stopping cancels what is in flight and records it before this returns.
    m_run->shutdown();
    flushViews();
    saveLayout();
    event->accept();
}

} // namespace aimload
