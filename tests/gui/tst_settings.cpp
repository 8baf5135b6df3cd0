// Stored settings, the settings dialog's validation, and how stored values and the
// command line combine for a window launch. Every test writes a settings file of its own
// in a temporary folder, never the user's.

#include "appsettings.h"
#include "launchoptions.h"
#include "settingsdialog.h"
#include "windowtesthelpers.h"

#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using aimload::AppSettings;
using aimload::LaunchOptions;
using aimload::SettingsDialog;
using std::chrono::minutes;
using std::chrono::seconds;

class TestSettings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultsWhenEmpty();
    void roundTrip();
    void changedOnlyOnRealChange();
    void handEditedValuesFallBack();
    void uiStateIsVersioned();

    void dialogRefusesInvalidInput_data();
    void dialogRefusesInvalidInput();
    void dialogSavesValidInput();
    void dialogShowsLaunchValuesButStoresOnlyEdits();

    void launchPrecedence_data();
    void launchPrecedence();
    void releasedOptionUsesStoredValue();

private:
    QString settingsFile() { return m_dir.filePath(u"aimload-%1.ini"_s.arg(++m_files)); }

    QTemporaryDir m_dir;
    int m_files = 0;
};

void TestSettings::defaultsWhenEmpty()
{
    const AppSettings settings(settingsFile());
    const aimload::Options defaults;
    QCOMPARE(settings.agentUrl(), defaults.host);
    QCOMPARE(settings.useSimulator(), false);
    QCOMPARE(settings.pacing(), defaults.pacing);
    QCOMPARE(settings.users(), 1);
    QCOMPARE(settings.chatTimeout(), defaults.chatTimeout);
    QCOMPARE(settings.promptsFile(), QString());
}

void TestSettings::roundTrip()
{
    const QString file = settingsFile();
    {
        AppSettings settings(file);
        settings.setAgentUrl(QUrl(u"http://localhost:8001"_s));
        settings.setUseSimulator(true);
        settings.setSimulatorSpeed(25);
        settings.setPacing(seconds(90));
        settings.setAbOrder(aimload::AbOrder::Parallel);
        settings.setUsers(4);
        settings.setChatTimeout(minutes(2));
        settings.setRepairTimeout(minutes(9));
        settings.setPromptsFile(u"/tmp/pool.json"_s);
    }
    const AppSettings settings(file);
    QCOMPARE(settings.agentUrl(), QUrl(u"http://localhost:8001"_s));
    QCOMPARE(settings.useSimulator(), true);
    QCOMPARE(settings.simulatorSpeed(), 25.0);
    QCOMPARE(settings.pacing(), seconds(90));
    QCOMPARE(settings.abOrder(), aimload::AbOrder::Parallel);
    QCOMPARE(settings.users(), 4);
    QCOMPARE(settings.chatTimeout(), minutes(2));
    QCOMPARE(settings.repairTimeout(), minutes(9));
    QCOMPARE(settings.promptsFile(), u"/tmp/pool.json"_s);

    // Durations are stored as people write them.
    QSettings raw(file, QSettings::IniFormat);
    QCOMPARE(raw.value(aimload::SettingsKey::Pacing).toString(), u"1m30s"_s);
}

void TestSettings::changedOnlyOnRealChange()
{
    AppSettings settings(settingsFile());
    QSignalSpy pacing(&settings, &AppSettings::pacingChanged);
    QSignalSpy users(&settings, &AppSettings::usersChanged);

    settings.setPacing(settings.pacing());
    settings.setUsers(1);
    QCOMPARE(pacing.count(), 0);
    QCOMPARE(users.count(), 0);

    settings.setPacing(minutes(5));
    settings.setPacing(minutes(5));
    settings.setUsers(2);
    QCOMPARE(pacing.count(), 1);
    QCOMPARE(pacing.constFirst().constFirst().value<std::chrono::milliseconds>(), minutes(5));
    QCOMPARE(users.count(), 1);
}

void TestSettings::handEditedValuesFallBack()
{
    const QString file = settingsFile();
    {
        QSettings raw(file, QSettings::IniFormat);
        raw.setValue(aimload::SettingsKey::Pacing, u"soon"_s);
        raw.setValue(aimload::SettingsKey::Users, 0);
        raw.setValue(aimload::SettingsKey::AgentUrl, u"ftp://example"_s);
        raw.setValue(aimload::SettingsKey::SimulatorSpeed, -3);
    }
    const AppSettings settings(file);
    const aimload::Options defaults;
    QCOMPARE(settings.pacing(), defaults.pacing);
    QCOMPARE(settings.users(), defaults.users);
    QCOMPARE(settings.agentUrl(), defaults.host);
    QCOMPARE(settings.simulatorSpeed(), defaults.simSpeed);
}

void TestSettings::uiStateIsVersioned()
{
    const QString file = settingsFile();
    {
        AppSettings settings(file);
        settings.setUiState(AppSettings::UiState::RequestsSplitter, "splitter");
        settings.sync();
    }
    {
        const AppSettings settings(file);
        QCOMPARE(settings.uiState(AppSettings::UiState::RequestsSplitter), QByteArray("splitter"));
    }
    {
        QSettings raw(file, QSettings::IniFormat);
        raw.setValue(aimload::SettingsKey::UiStateVersion, AppSettings::UiStateVersion + 1);
    }
    const AppSettings settings(file);
    QVERIFY(settings.uiState(AppSettings::UiState::RequestsSplitter).isEmpty());
}

void TestSettings::dialogRefusesInvalidInput_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("reason");

    QTest::newRow("pacing-text") << u"pacingEdit"_s << u"soon"_s << u"positive duration"_s;
    QTest::newRow("pacing-zero") << u"pacingEdit"_s << u"0"_s << u"positive duration"_s;
    QTest::newRow("pacing-negative") << u"pacingEdit"_s << u"-5m"_s << u"positive duration"_s;
    QTest::newRow("pacing-unit") << u"pacingEdit"_s << u"12parsecs"_s << u"positive duration"_s;
    QTest::newRow("url-scheme") << u"urlEdit"_s << u"ftp://ai-agent:8001"_s << u"http://"_s;
    QTest::newRow("url-garbage") << u"urlEdit"_s << u"not a url"_s << u"http://"_s;
    QTest::newRow("url-query") << u"urlEdit"_s << u"http://ai-agent:8001/?x=1"_s << u"http://"_s;
    QTest::newRow("chat-timeout") << u"chatTimeoutEdit"_s << u"1x"_s << u"positive duration"_s;
    QTest::newRow("repair-timeout") << u"repairTimeoutEdit"_s << u""_s << u"positive duration"_s;
    QTest::newRow("prompts-missing")
        << u"promptsEdit"_s << u"/nonexistent/pool.json"_s << u"/nonexistent/pool.json"_s;
}

void TestSettings::dialogRefusesInvalidInput()
{
    QFETCH(QString, field);
    QFETCH(QString, value);
    QFETCH(QString, reason);

    const QString file = settingsFile();
    AppSettings settings(file);
    SettingsDialog dialog(&settings);
    dialog.show();
    auto* edit = dialog.findChild<QLineEdit*>(field);
    QVERIFY(edit);
    edit->setText(value);
    QSignalSpy accepted(&dialog, &QDialog::accepted);
    dialog.accept();

    QCOMPARE(accepted.count(), 0);
    QVERIFY(dialog.isVisible());
    QVERIFY2(dialog.problem().contains(reason), qPrintable(dialog.problem()));
    QVERIFY2(dialog.problem().contains(value), qPrintable(dialog.problem()));
    QVERIFY(dialog.findChild<QLabel*>(u"errorLabel"_s)->isVisible());
    QCOMPARE(dialog.focusWidget(), edit);
    settings.sync();
    QVERIFY2(!QFile::exists(file), "refused input was stored");
}

void TestSettings::dialogSavesValidInput()
{
    const QString file = settingsFile();
    AppSettings settings(file);
    QSignalSpy pacingChanged(&settings, &AppSettings::pacingChanged);
    SettingsDialog dialog(&settings);
    dialog.show();
    dialog.findChild<QLineEdit*>(u"urlEdit"_s)->setText(u"http://localhost:8001"_s);
    dialog.findChild<QLineEdit*>(u"pacingEdit"_s)->setText(u"90s"_s);
    dialog.findChild<QSpinBox*>(u"usersSpin"_s)->setValue(3);
    dialog.findChild<QComboBox*>(u"abCombo"_s)->setCurrentIndex(1);
    dialog.accept();

    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    QCOMPARE(dialog.problem(), QString());
    QCOMPARE(pacingChanged.count(), 1);
    QCOMPARE(dialog.changedOptions(), (QStringList {u"host"_s, u"pacing"_s, u"ab"_s, u"users"_s}));

    const AppSettings reread(file);
    QCOMPARE(reread.agentUrl(), QUrl(u"http://localhost:8001"_s));
    QCOMPARE(reread.pacing(), seconds(90));
    QCOMPARE(reread.users(), 3);
    QCOMPARE(reread.abOrder(), aimload::AbOrder::Parallel);
}

void TestSettings::dialogShowsLaunchValuesButStoresOnlyEdits()
{
    const QString file = settingsFile();
    AppSettings settings(file);
    settings.setPacing(minutes(5));
    const LaunchOptions launch
        = launchWith({u"--pacing"_s, u"10s"_s, u"--users"_s, u"4"_s, u"--simulate"_s});

    SettingsDialog dialog(&settings);
    dialog.setOverridden(launch.overridden(), launch.options());
    auto* overrideLabel = dialog.findChild<QLabel*>(u"overrideLabel"_s);
    QVERIFY(overrideLabel->isVisibleTo(&dialog));
    QVERIFY(overrideLabel->text().contains(u"pacing"_s));
    QCOMPARE(dialog.findChild<QLineEdit*>(u"pacingEdit"_s)->text(), u"10s"_s);
    QCOMPARE(dialog.findChild<QSpinBox*>(u"usersSpin"_s)->value(), 4);
    QVERIFY(dialog.findChild<QRadioButton*>(u"simulatorRadio"_s)->isChecked());

    dialog.findChild<QSpinBox*>(u"usersSpin"_s)->setValue(2);
    dialog.accept();
    QCOMPARE(dialog.changedOptions(), QStringList {u"users"_s});
    const AppSettings reread(file);
    QCOMPARE(reread.pacing(), minutes(5));
    QCOMPARE(reread.users(), 2);
    QCOMPARE(reread.useSimulator(), false);
}

void TestSettings::launchPrecedence_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("environment"); // NAME=value or empty
    QTest::addColumn<QString>("configLine"); // a line of a --config file or empty
    QTest::addColumn<qint64>("pacingSeconds");

    QTest::newRow("stored") << QStringList() << QString() << QString() << qint64(300);
    QTest::newRow("command-line") << QStringList {u"--pacing"_s, u"10s"_s} << QString() << QString()
                                  << qint64(10);
    QTest::newRow("command-line-default-value")
        << QStringList {u"--pacing=12m"_s} << QString() << QString() << qint64(720);
    QTest::newRow("environment") << QStringList() << u"AIMLOAD_PACING=20s"_s << QString()
                                 << qint64(20);
    QTest::newRow("config") << QStringList() << QString() << u"pacing = 30s"_s << qint64(30);
    QTest::newRow("config-default-value")
        << QStringList() << QString() << u"pacing = 12m"_s << qint64(720);
    QTest::newRow("command-line-over-config")
        << QStringList {u"--pacing"_s, u"40s"_s} << QString() << u"pacing = 30s"_s << qint64(40);
}

void TestSettings::launchPrecedence()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, environment);
    QFETCH(QString, configLine);
    QFETCH(qint64, pacingSeconds);

    AppSettings settings(settingsFile());
    settings.setPacing(minutes(5));
    settings.setUsers(3);

    QProcessEnvironment variables;
    if (!environment.isEmpty())
        variables.insert(environment.section(u'=', 0, 0), environment.section(u'=', 1));
    QStringList full = QStringList {u"aimload"_s} + arguments;
    if (!configLine.isEmpty()) {
        const QString config = m_dir.filePath(u"aimload-%1.conf"_s.arg(++m_files));
        QFile file(config);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(configLine.toUtf8() + '\n');
        file.close();
        full << u"--config"_s << config;
    }
    const auto parsed = aimload::OptionsParser::parse(full, variables);
    QCOMPARE(parsed.action, aimload::OptionsParser::Action::Run);

    const LaunchOptions launch = LaunchOptions::fromCommandLine(full, variables, parsed.options);
    const aimload::Options options = launch.resolve(settings);
    QCOMPARE(options.pacing, seconds(pacingSeconds));
    QCOMPARE(options.users, 3); // never given, so always the stored value
}

void TestSettings::releasedOptionUsesStoredValue()
{
    AppSettings settings(settingsFile());
    settings.setPacing(minutes(5));
    settings.setAgentUrl(QUrl(u"http://localhost:8001"_s));
    LaunchOptions launch = launchWith({u"--pacing"_s, u"10s"_s, u"--simulate"_s});
    QCOMPARE(launch.overridden(), (QStringList {u"host"_s, u"simulate"_s, u"pacing"_s}));
    QVERIFY(launch.resolve(settings).simulate);

    launch.release(u"pacing"_s);
    launch.release(u"host"_s);
    const aimload::Options options = launch.resolve(settings);
    QCOMPARE(options.pacing, minutes(5));
    QVERIFY(!options.simulate);
    QCOMPARE(options.host, QUrl(u"http://localhost:8001"_s));
    QVERIFY(launch.overridden().isEmpty());
}

QTEST_MAIN(TestSettings)
#include "tst_settings.moc"
