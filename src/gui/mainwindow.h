#pragma once

#include "bannerbar.h"
#include "launchoptions.h"
#include "runcontroller.h"

#include <QMainWindow>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace Ui {
class MainWindow;
}

namespace aimload {

class AbComparisonModel;
class AppSettings;
class ChartData;
class FailuresModel;
class LoadSession;
class LogModel;
class RequestTableModel;
class SettingsDialog;
class StatsTableModel;

// The presenter's control panel: run controls, the status strip, and the pages. It drives
// a LoadSession through RunController as headless mode drives its own, and only shows
// what the controller and the models report.
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    MainWindow(AppSettings* settings, LaunchOptions launch, QWidget* parent = nullptr);
    ~MainWindow() override;

    RunController* run() const { return m_run; }
    BannerBar* banner() const;
    RequestTableModel* requestModel() const { return m_requests; }
    StatsTableModel* statsModel() const { return m_statsModel; }
    AbComparisonModel* comparisonModel() const { return m_comparison; }
    FailuresModel* failuresModel() const { return m_failures; }
    LogModel* logModel() const { return m_log; }
    ChartData* chartData() const { return m_chartData; }
    SettingsDialog* settingsDialog() const;

    // Applies every update the models and pages have queued for their next tick.
    void flushViews();
    // Milliseconds until the status strip updates itself, or -1 when it waits for events.
    int statusTimerRemainingMs() const { return m_tick.isActive() ? m_tick.remainingTime() : -1; }
    void showSettings();

protected:
    void closeEvent(QCloseEvent* event) override;
    void changeEvent(QEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;

private:
    void setupActions();
    void setupModels();
    void setupPages();
    void connectRun();
    void restoreLayout();
    void saveLayout();

    void applyOptions();
    void applySettings(const QStringList& changed);
    void start();
    void stop();
    void triggerNow();
    void clearResults();
    void showAbout();

    void onSessionChanged(LoadSession* session);
    void onStateChanged(LoadEngine::State state);
    void onHealthChanged(RunController::Health health, const QString& error);
    void onHealthWaiting(int attempt, const QString& error, qint64 retryInMs);
    void onRunFinished(const QString& reason);
    void onSessionWarnings(const QStringList& warnings);
    void updateActions();
    void scheduleRefresh();
    void refreshViews();
    void refreshStrip();
    void note(EventLog::Level level, const QString& text);
    void followVisibility();

    std::unique_ptr<Ui::MainWindow> m_ui;
    AppSettings* m_settings = nullptr;
    LaunchOptions m_launch;
    RunController* m_run = nullptr;

    RequestTableModel* m_requests = nullptr;
    StatsTableModel* m_statsModel = nullptr;
    AbComparisonModel* m_comparison = nullptr;
    FailuresModel* m_failures = nullptr;
    LogModel* m_log = nullptr;
    ChartData* m_chartData = nullptr;

    QPointer<SettingsDialog> m_settingsDialog;
    QTimer m_tick; // when the strip's countdown or in-flight age next changes, while seen
    QTimer m_refresh; // statistics redrawn at most this often while requests finish
};

} // namespace aimload
