#include "config/options.h"

#include <QFile>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using aimload::AbOrder;
using aimload::Options;
using aimload::OptionsParser;

namespace {

const QString ConfigPlaceholder = u"%CONFIG%"_s;

QString optional(const auto& value)
{
    return value ? QString::number(qint64(*value)) : u"none"_s;
}

// The value of one option, spelled the same way for every option so rows can compare it.
QString field(const Options& options, const QString& name)
{
    if (name == u"headless")
        return options.headless ? u"true"_s : u"false"_s;
    if (name == u"host")
        return options.host.toString();
    if (name == u"prompts")
        return options.promptsFile;
    if (name == u"seed")
        return options.seed ? QString::number(*options.seed) : u"none"_s;
    if (name == u"pacing")
        return QString::number(options.pacing.count());
    if (name == u"ab")
        return options.abOrder == AbOrder::Parallel ? u"parallel"_s : u"sequential"_s;
    if (name == u"chat-timeout")
        return QString::number(options.chatTimeout.count());
    if (name == u"repair-timeout")
        return QString::number(options.repairTimeout.count());
    if (name == u"no-wait-healthy")
        return options.waitHealthy ? u"false"_s : u"true"_s;
    if (name == u"no-trace-context")
        return options.traceContext ? u"false"_s : u"true"_s;
    if (name == u"users")
        return QString::number(options.users);
    if (name == u"spawn-rate")
        return QString::number(options.spawnRate);
    if (name == u"run-time")
        return options.runTime ? QString::number(options.runTime->count()) : u"none"_s;
    if (name == u"cycles")
        return optional(options.cycles);
    if (name == u"simulate")
        return options.simulate ? u"true"_s : u"false"_s;
    if (name == u"sim-speed")
        return QString::number(options.simSpeed);
    if (name == u"sim-failure-rate")
        return QString::number(options.simFailureRate);
    if (name == u"exit-code-on-error")
        return QString::number(options.exitCodeOnError);
    if (name == u"db")
        return options.dbPath;
    if (name == u"no-db")
        return options.useDb ? u"false"_s : u"true"_s;
    if (name == u"fresh")
        return options.fresh ? u"true"_s : u"false"_s;
    if (name == u"web-port")
        return optional(options.webPort);
    if (name == u"web-host")
        return options.webHost;
    if (name == u"web-token")
        return options.webToken;
    if (name == u"csv")
        return options.csvPrefix;
    if (name == u"html")
        return options.htmlFile;
    if (name == u"json")
        return options.jsonFile;
    return u"<unknown option %1>"_s.arg(name);
}

QProcessEnvironment environmentOf(const QStringList& assignments)
{
    QProcessEnvironment environment;
    for (const QString& assignment : assignments) {
        const qsizetype equals = assignment.indexOf(u'=');
        environment.insert(assignment.left(equals), assignment.mid(equals + 1));
    }
    return environment;
}

OptionsParser::Result parse(const QStringList& arguments, const QStringList& environment = {})
{
    return OptionsParser::parse(QStringList {u"aimload"_s} + arguments, environmentOf(environment));
}

// Writes a config file in its own directory, so every test sees only its own file.
class ConfigFile
{
public:
    explicit ConfigFile(const QString& content)
    {
        QFile file(path());
        if (m_directory.isValid() && file.open(QIODevice::WriteOnly | QIODevice::Text))
            file.write(content.toUtf8());
    }

    QString path() const { return m_directory.filePath(u"aimload.conf"_s); }

    QStringList substituted(QStringList items) const
    {
        for (QString& item : items)
            item.replace(ConfigPlaceholder, path());
        return items;
    }

private:
    QTemporaryDir m_directory;
};

} // namespace

class TestOptions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaults_data();
    void defaults();
    void commandLine_data();
    void commandLine();
    void commandLineWithEquals_data();
    void commandLineWithEquals();
    void environment_data();
    void environment();
    void configFile_data();
    void configFile();
    void configFileSyntax();
    void hostFromAgentUrl();
    void flagsTurnedOffAgain_data();
    void flagsTurnedOffAgain();
    void precedence_data();
    void precedence();
    void errors_data();
    void errors();
    void actions_data();
    void actions();
    void helpListsEveryOption_data();
    void helpListsEveryOption();
    void everyOptionIsCoveredHere();

private:
    void optionRows(bool withFlags = true);
};

void TestOptions::defaults_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");

    QTest::newRow("headless") << u"headless"_s << u"false"_s;
    QTest::newRow("host") << u"host"_s << u"http://ai-agent:8001"_s;
    QTest::newRow("prompts") << u"prompts"_s << QString();
    QTest::newRow("seed") << u"seed"_s << u"none"_s;
    QTest::newRow("pacing") << u"pacing"_s << u"720000"_s;
    QTest::newRow("ab") << u"ab"_s << u"sequential"_s;
    QTest::newRow("chatTimeout") << u"chat-timeout"_s << u"660000"_s;
    QTest::newRow("repairTimeout") << u"repair-timeout"_s << u"660000"_s;
    QTest::newRow("noWaitHealthy") << u"no-wait-healthy"_s << u"false"_s;
    QTest::newRow("noTraceContext") << u"no-trace-context"_s << u"false"_s;
    QTest::newRow("users") << u"users"_s << u"1"_s;
    QTest::newRow("spawnRate") << u"spawn-rate"_s << u"1"_s;
    QTest::newRow("runTime") << u"run-time"_s << u"none"_s;
    QTest::newRow("cycles") << u"cycles"_s << u"none"_s;
    QTest::newRow("simulate") << u"simulate"_s << u"false"_s;
    QTest::newRow("simSpeed") << u"sim-speed"_s << u"1"_s;
    QTest::newRow("simFailureRate") << u"sim-failure-rate"_s << u"0.03"_s;
    QTest::newRow("exitCodeOnError") << u"exit-code-on-error"_s << u"0"_s;
    QTest::newRow("db") << u"db"_s << QString();
    QTest::newRow("noDb") << u"no-db"_s << u"false"_s;
    QTest::newRow("fresh") << u"fresh"_s << u"false"_s;
    QTest::newRow("webPort") << u"web-port"_s << u"none"_s;
    QTest::newRow("webHost") << u"web-host"_s << u"127.0.0.1"_s;
    QTest::newRow("webToken") << u"web-token"_s << QString();
    QTest::newRow("csv") << u"csv"_s << QString();
    QTest::newRow("html") << u"html"_s << QString();
    QTest::newRow("json") << u"json"_s << QString();
}

void TestOptions::defaults()
{
    QFETCH(QString, name);
    QFETCH(QString, value);

    const OptionsParser::Result result = parse({});

    QCOMPARE(result.action, OptionsParser::Action::Run);
    QCOMPARE(result.error, QString());
    QCOMPARE(field(result.options, name), value);
    QCOMPARE(result.options.hostGiven, false);
    QCOMPARE(result.options.configFile, QString());
}

// One row per option: how it is typed, and what it reads as. Flags have no value on the
// command line and "true" in the environment and config files.
void TestOptions::optionRows(bool withFlags)
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("variable");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");

    const auto row = [](const char* tag, const QString& name, const QString& variable,
                         const QString& value, const QString& expected) {
        QTest::newRow(tag) << name << variable << value << expected;
    };
    if (withFlags) {
        row("headless", u"headless"_s, u"AIMLOAD_HEADLESS"_s, {}, u"true"_s);
        row("noWaitHealthy", u"no-wait-healthy"_s, u"AIMLOAD_NO_WAIT_HEALTHY"_s, {}, u"true"_s);
        row("simulate", u"simulate"_s, u"AIMLOAD_SIMULATE"_s, {}, u"true"_s);
        row("noTraceContext", u"no-trace-context"_s, u"AIMLOAD_NO_TRACE_CONTEXT"_s, {}, u"true"_s);
        row("noDb", u"no-db"_s, u"AIMLOAD_NO_DB"_s, {}, u"true"_s);
        row("fresh", u"fresh"_s, u"AIMLOAD_FRESH"_s, {}, u"true"_s);
    }
    row("csv", u"csv"_s, u"AIMLOAD_CSV"_s, u"/reports/run"_s, u"/reports/run"_s);
    row("html", u"html"_s, u"AIMLOAD_HTML"_s, u"/reports/run.html"_s, u"/reports/run.html"_s);
    row("json", u"json"_s, u"AIMLOAD_JSON"_s, u"/reports/run.json"_s, u"/reports/run.json"_s);
    row("db", u"db"_s, u"AIMLOAD_DB"_s, u"/data/aimload.db"_s, u"/data/aimload.db"_s);
    row("webPort", u"web-port"_s, u"AIMLOAD_WEB_PORT"_s, u"8089"_s, u"8089"_s);
    row("webPortAny", u"web-port"_s, u"AIMLOAD_WEB_PORT"_s, u"0"_s, u"0"_s);
    row("webHostAny", u"web-host"_s, u"AIMLOAD_WEB_HOST"_s, u"0.0.0.0"_s, u"0.0.0.0"_s);
    row("webHostIpv6", u"web-host"_s, u"AIMLOAD_WEB_HOST"_s, u"::1"_s, u"::1"_s);
    row("webToken", u"web-token"_s, u"AIMLOAD_WEB_TOKEN"_s, u"s3cret-token"_s, u"s3cret-token"_s);
    row("host", u"host"_s, u"AIMLOAD_HOST"_s, u"http://localhost:8001"_s,
        u"http://localhost:8001"_s);
    row("hostHttps", u"host"_s, u"AIMLOAD_HOST"_s, u"https://agent.example/ai"_s,
        u"https://agent.example/ai"_s);
    row("prompts", u"prompts"_s, u"AIMLOAD_PROMPTS"_s, u"/data/pool.json"_s, u"/data/pool.json"_s);
    row("seed", u"seed"_s, u"AIMLOAD_SEED"_s, u"42"_s, u"42"_s);
    row("seedLargest", u"seed"_s, u"AIMLOAD_SEED"_s, u"18446744073709551615"_s,
        u"18446744073709551615"_s);
    row("pacing", u"pacing"_s, u"AIMLOAD_PACING"_s, u"90s"_s, u"90000"_s);
    row("pacingBare", u"pacing"_s, u"AIMLOAD_PACING"_s, u"12.5"_s, u"12500"_s);
    row("abParallel", u"ab"_s, u"AIMLOAD_AB"_s, u"parallel"_s, u"parallel"_s);
    row("abUpperCase", u"ab"_s, u"AIMLOAD_AB"_s, u"PARALLEL"_s, u"parallel"_s);
    row("chatTimeout", u"chat-timeout"_s, u"AIMLOAD_CHAT_TIMEOUT"_s, u"2m"_s, u"120000"_s);
    row("repairTimeout", u"repair-timeout"_s, u"AIMLOAD_REPAIR_TIMEOUT"_s, u"1h30m"_s,
        u"5400000"_s);
    row("users", u"users"_s, u"AIMLOAD_USERS"_s, u"8"_s, u"8"_s);
    row("usersHighest", u"users"_s, u"AIMLOAD_USERS"_s, u"10000"_s, u"10000"_s);
    row("spawnRate", u"spawn-rate"_s, u"AIMLOAD_SPAWN_RATE"_s, u"0.5"_s, u"0.5"_s);
    row("runTime", u"run-time"_s, u"AIMLOAD_RUN_TIME"_s, u"2h"_s, u"7200000"_s);
    row("cycles", u"cycles"_s, u"AIMLOAD_CYCLES"_s, u"3"_s, u"3"_s);
    row("simSpeed", u"sim-speed"_s, u"AIMLOAD_SIM_SPEED"_s, u"60"_s, u"60"_s);
    row("simFailureRate", u"sim-failure-rate"_s, u"AIMLOAD_SIM_FAILURE_RATE"_s, u"0.5"_s, u"0.5"_s);
    row("simFailureRateZero", u"sim-failure-rate"_s, u"AIMLOAD_SIM_FAILURE_RATE"_s, u"0"_s, u"0"_s);
    row("simFailureRateOne", u"sim-failure-rate"_s, u"AIMLOAD_SIM_FAILURE_RATE"_s, u"1"_s, u"1"_s);
    row("exitCodeOnError", u"exit-code-on-error"_s, u"AIMLOAD_EXIT_CODE_ON_ERROR"_s, u"3"_s,
        u"3"_s);
    row("exitCodeOnErrorHighest", u"exit-code-on-error"_s, u"AIMLOAD_EXIT_CODE_ON_ERROR"_s,
        u"255"_s, u"255"_s);
}

void TestOptions::commandLine_data()
{
    optionRows();
}

void TestOptions::commandLine()
{
    QFETCH(QString, name);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    QVERIFY(field(Options(), name) != expected);

    QStringList arguments {u"--"_s + name};
    if (!value.isEmpty())
        arguments.append(value);
    const OptionsParser::Result result = parse(arguments);

    QCOMPARE(result.error, QString());
    QCOMPARE(result.action, OptionsParser::Action::Run);
    QCOMPARE(field(result.options, name), expected);
}

void TestOptions::commandLineWithEquals_data()
{
    optionRows(false); // --flag=value is an error, see errors()
}

void TestOptions::commandLineWithEquals()
{
    QFETCH(QString, name);
    QFETCH(QString, value);
    QFETCH(QString, expected);

    const OptionsParser::Result result = parse({u"--%1=%2"_s.arg(name, value)});

    QCOMPARE(result.error, QString());
    QCOMPARE(field(result.options, name), expected);
}

void TestOptions::environment_data()
{
    optionRows();
}

void TestOptions::environment()
{
    QFETCH(QString, variable);
    QFETCH(QString, name);
    QFETCH(QString, value);
    QFETCH(QString, expected);

    const QString text = value.isEmpty() ? u"true"_s : value;
    const OptionsParser::Result result = parse({}, {variable + u'=' + text});

    QCOMPARE(result.error, QString());
    QCOMPARE(result.action, OptionsParser::Action::Run);
    QCOMPARE(field(result.options, name), expected);
}

void TestOptions::configFile_data()
{
    optionRows();
}

void TestOptions::configFile()
{
    QFETCH(QString, name);
    QFETCH(QString, value);
    QFETCH(QString, expected);

    // Config files take keys with underscores as well as dashes.
    const QString key = QString(name).replace(u'-', u'_');
    const ConfigFile config(u"%1 = %2\n"_s.arg(key, value.isEmpty() ? u"true"_s : value));
    const OptionsParser::Result result = parse({u"--config"_s, config.path()});

    QCOMPARE(result.error, QString());
    QCOMPARE(result.action, OptionsParser::Action::Run);
    QCOMPARE(result.options.configFile, config.path());
    QCOMPARE(field(result.options, name), expected);
}

void TestOptions::configFileSyntax()
{
    const ConfigFile config(u"# aimload settings for the demo\n"
                            "\n"
                            "   # an indented comment\n"
                            "; an ini-style comment\n"
                            "host = \"http://localhost:8001\"\n"
                            "pacing=90s\n"
                            "  chat_timeout   =   3m  \n"
                            "--repair-timeout = 4m\n"
                            "USERS = 4\n"
                            "ab = \"parallel\"\n"
                            "prompts = \"/path with spaces/pool.json\"\n"
                            "no_wait_healthy = yes\n"
                            "simulate = on\n"
                            "headless = false\n"_s);

    const OptionsParser::Result result = parse({u"--config=%1"_s.arg(config.path())});

    QCOMPARE(result.error, QString());
    const Options& options = result.options;
    QCOMPARE(options.host.toString(), u"http://localhost:8001"_s);
    QCOMPARE(options.hostGiven, true);
    QCOMPARE(options.pacing.count(), 90'000);
    QCOMPARE(options.chatTimeout.count(), 180'000);
    QCOMPARE(options.repairTimeout.count(), 240'000);
    QCOMPARE(options.users, 4);
    QCOMPARE(options.abOrder, AbOrder::Parallel);
    QCOMPARE(options.promptsFile, u"/path with spaces/pool.json"_s);
    QCOMPARE(options.waitHealthy, false);
    QCOMPARE(options.simulate, true);
    QCOMPARE(options.headless, false);
    // Every line counts as set, a value equal to the default ("headless = false") too.
    QCOMPARE(result.setInConfigFile,
        (QSet<QString> {u"host"_s, u"pacing"_s, u"chat-timeout"_s, u"repair-timeout"_s, u"users"_s,
            u"ab"_s, u"prompts"_s, u"no-wait-healthy"_s, u"simulate"_s, u"headless"_s}));
}

void TestOptions::hostFromAgentUrl()
{
    const OptionsParser::Result result = parse({}, {u"AI_AGENT_URL=http://localhost:8001"_s});

    QCOMPARE(result.error, QString());
    QCOMPARE(result.options.host.toString(), u"http://localhost:8001"_s);
    QCOMPARE(result.options.hostGiven, true);
}

void TestOptions::flagsTurnedOffAgain_data()
{
    QTest::addColumn<QString>("configLine");
    QTest::addColumn<QString>("variable");
    QTest::addColumn<QString>("name");

    QTest::newRow("headless") << u"headless = true"_s << u"AIMLOAD_HEADLESS=false"_s
                              << u"headless"_s;
    QTest::newRow("noWaitHealthy")
        << u"no_wait_healthy = true"_s << u"AIMLOAD_NO_WAIT_HEALTHY=0"_s << u"no-wait-healthy"_s;
    QTest::newRow("simulate") << u"simulate = yes"_s << u"AIMLOAD_SIMULATE=off"_s << u"simulate"_s;
    QTest::newRow("noTraceContext")
        << u"no_trace_context = on"_s << u"AIMLOAD_NO_TRACE_CONTEXT=no"_s << u"no-trace-context"_s;
}

// A flag switched on in the config file can be switched off again by the environment.
void TestOptions::flagsTurnedOffAgain()
{
    QFETCH(QString, configLine);
    QFETCH(QString, variable);
    QFETCH(QString, name);
    const ConfigFile config(configLine + u'\n');

    const OptionsParser::Result onlyConfig = parse({u"--config"_s, config.path()});
    const OptionsParser::Result both = parse({u"--config"_s, config.path()}, {variable});

    QCOMPARE(onlyConfig.error, QString());
    QCOMPARE(field(onlyConfig.options, name), u"true"_s);
    QCOMPARE(both.error, QString());
    QCOMPARE(field(both.options, name), u"false"_s);
}

void TestOptions::precedence_data()
{
    QTest::addColumn<QString>("config");
    QTest::addColumn<QStringList>("environment");
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("expected");

    const QString config = u"pacing = 1m\nhost = http://from-config:1\nusers = 2\n"_s;
    const QStringList withConfig {u"--config"_s, ConfigPlaceholder};
    QTest::newRow("configOverDefault")
        << config << QStringList() << withConfig << u"pacing"_s << u"60000"_s;
    QTest::newRow("envOverConfig") << config << QStringList {u"AIMLOAD_PACING=2m"_s} << withConfig
                                   << u"pacing"_s << u"120000"_s;
    QTest::newRow("cliOverEnv") << config << QStringList {u"AIMLOAD_PACING=2m"_s}
                                << withConfig + QStringList {u"--pacing"_s, u"3m"_s} << u"pacing"_s
                                << u"180000"_s;
    QTest::newRow("cliBeforeConfigStillWins")
        << config << QStringList() << QStringList {u"--pacing=3m"_s} + withConfig << u"pacing"_s
        << u"180000"_s;
    QTest::newRow("untouchedKeepsConfig")
        << config << QStringList {u"AIMLOAD_PACING=2m"_s} << withConfig << u"users"_s << u"2"_s;
    QTest::newRow("agentUrlOverConfig")
        << config << QStringList {u"AI_AGENT_URL=http://from-env:2"_s} << withConfig << u"host"_s
        << u"http://from-env:2"_s;
    QTest::newRow("cliOverAgentUrl")
        << config << QStringList {u"AI_AGENT_URL=http://from-env:2"_s}
        << withConfig + QStringList {u"--host"_s, u"http://from-cli:3"_s} << u"host"_s
        << u"http://from-cli:3"_s;
    QTest::newRow("aimloadConfigNamesFile") << config << QStringList {u"AIMLOAD_CONFIG=%CONFIG%"_s}
                                            << QStringList() << u"pacing"_s << u"60000"_s;
    QTest::newRow("envOverAimloadConfigFile")
        << config << QStringList {u"AIMLOAD_CONFIG=%CONFIG%"_s, u"AIMLOAD_USERS=5"_s}
        << QStringList() << u"users"_s << u"5"_s;
    QTest::newRow("cliConfigOverAimloadConfig")
        << config << QStringList {u"AIMLOAD_CONFIG=/nonexistent/aimload.conf"_s} << withConfig
        << u"pacing"_s << u"60000"_s;
}

void TestOptions::precedence()
{
    QFETCH(QString, config);
    QFETCH(QStringList, environment);
    QFETCH(QStringList, arguments);
    QFETCH(QString, name);
    QFETCH(QString, expected);
    const ConfigFile file(config);

    const OptionsParser::Result result
        = parse(file.substituted(arguments), file.substituted(environment));

    QCOMPARE(result.error, QString());
    QCOMPARE(field(result.options, name), expected);
}

void TestOptions::errors_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QStringList>("environment");
    QTest::addColumn<QString>("config");
    QTest::addColumn<QStringList>("fragments");

    const QString durationForm = u"positive duration"_s;
    const QString hostForm = u"http:// or https:// URL"_s;
    const QStringList withConfig {u"--config"_s, ConfigPlaceholder};
    const auto cli
        = [](const char* tag, const QStringList& arguments, const QStringList& fragments) {
              QTest::newRow(tag) << arguments << QStringList() << QString() << fragments;
          };
    const auto env = [](const char* tag, const QString& assignment, const QStringList& fragments) {
        QTest::newRow(tag) << QStringList() << QStringList {assignment} << QString() << fragments;
    };
    const auto conf
        = [&withConfig](const char* tag, const QString& content, const QStringList& fragments) {
              QTest::newRow(tag) << withConfig << QStringList() << content << fragments;
          };

    cli("pacingZero", {u"--pacing"_s, u"0"_s}, {u"--pacing '0'"_s, durationForm});
    cli("pacingZeroUnits", {u"--pacing=0ms"_s}, {u"--pacing '0ms'"_s, durationForm});
    cli("pacingNegative", {u"--pacing=-5"_s}, {u"--pacing '-5'"_s, durationForm});
    cli("pacingUnreadable", {u"--pacing"_s, u"soon"_s}, {u"--pacing 'soon'"_s, durationForm});
    cli("pacingBareAfterUnit", {u"--pacing"_s, u"1h30"_s}, {u"--pacing"_s, durationForm});
    cli("chatTimeoutUnknownUnit", {u"--chat-timeout"_s, u"12x"_s},
        {u"--chat-timeout"_s, durationForm});
    cli("repairTimeoutEmpty", {u"--repair-timeout="_s}, {u"--repair-timeout"_s, durationForm});
    cli("runTimeZero", {u"--run-time"_s, u"0"_s}, {u"--run-time"_s, durationForm});
    cli("hostFtp", {u"--host"_s, u"ftp://x"_s}, {u"--host 'ftp://x'"_s, hostForm});
    cli("hostWithoutScheme", {u"--host"_s, u"ai-agent:8001"_s}, {u"--host"_s, hostForm});
    cli("hostWithoutName", {u"--host"_s, u"http://"_s}, {u"--host"_s, hostForm});
    cli("hostWithQuery", {u"--host"_s, u"http://ai-agent:8001/?model=a"_s},
        {u"--host"_s, hostForm});
    cli("hostWithFragment", {u"--host"_s, u"http://ai-agent:8001/#top"_s}, {u"--host"_s, hostForm});
    cli("hostWithUser", {u"--host"_s, u"http://me:secret@ai-agent:8001"_s},
        {u"--host"_s, hostForm});
    cli("unknownOptionTypo", {u"--pacng"_s, u"5m"_s},
        {u"'--pacng'"_s, u"did you mean --pacing?"_s});
    cli("unknownOptionTypoWithValue", {u"--user=3"_s}, {u"'--user'"_s, u"did you mean --users?"_s});
    cli("unknownOptionFarOff", {u"--frobnicate"_s}, {u"'--frobnicate'"_s, u"aimload --help"_s});
    cli("singleDash", {u"-pacing"_s, u"5m"_s}, {u"'-pacing'"_s, u"--"_s});
    cli("positional", {u"run"_s}, {u"'run'"_s, u"aimload --help"_s});
    cli("missingValueAtEnd", {u"--headless"_s, u"--pacing"_s},
        {u"--pacing needs a value"_s, u"--pacing DURATION"_s});
    cli("missingConfigValue", {u"--config"_s}, {u"--config needs a value"_s, u"--config FILE"_s});
    cli("valueGivenToFlag", {u"--headless=1"_s}, {u"--headless takes no value"_s});
    cli("valueGivenToNoWaitHealthy", {u"--no-wait-healthy=true"_s},
        {u"--no-wait-healthy takes no value"_s});
    cli("usersZero", {u"--users"_s, u"0"_s}, {u"--users '0'"_s, u"whole number from 1 to 10000"_s});
    cli("usersTooMany", {u"--users"_s, u"10001"_s}, {u"--users"_s, u"from 1 to 10000"_s});
    cli("usersFraction", {u"--users"_s, u"1.5"_s}, {u"--users"_s, u"whole number"_s});
    cli("spawnRateZero", {u"--spawn-rate"_s, u"0"_s}, {u"--spawn-rate '0'"_s, u"greater than 0"_s});
    cli("spawnRateWord", {u"--spawn-rate"_s, u"fast"_s}, {u"--spawn-rate"_s, u"a number"_s});
    cli("simFailureRateTwo", {u"--sim-failure-rate"_s, u"2"_s},
        {u"--sim-failure-rate '2'"_s, u"a number from 0 to 1"_s});
    cli("simFailureRateNegative", {u"--sim-failure-rate=-0.1"_s},
        {u"--sim-failure-rate"_s, u"from 0 to 1"_s});
    cli("simSpeedZero", {u"--sim-speed"_s, u"0"_s}, {u"--sim-speed"_s, u"greater than 0"_s});
    cli("simSpeedNotFinite", {u"--sim-speed"_s, u"inf"_s}, {u"--sim-speed"_s, u"a number"_s});
    cli("exitCode256", {u"--exit-code-on-error"_s, u"256"_s},
        {u"--exit-code-on-error '256'"_s, u"whole number from 0 to 255"_s});
    cli("exitCodeNegative", {u"--exit-code-on-error=-1"_s},
        {u"--exit-code-on-error"_s, u"from 0 to 255"_s});
    cli("webPortTooHigh", {u"--web-port"_s, u"65536"_s},
        {u"--web-port '65536'"_s, u"whole number from 0 to 65535"_s});
    cli("webHostName", {u"--web-host"_s, u"example.org"_s},
        {u"--web-host 'example.org'"_s, u"an IP address"_s});
    cli("dbEmpty", {u"--db="_s}, {u"--db"_s, u"path"_s});
    cli("cyclesZero", {u"--cycles"_s, u"0"_s}, {u"--cycles '0'"_s, u"whole number from 1"_s});
    cli("seedNegative", {u"--seed"_s, u"-1"_s}, {u"--seed '-1'"_s, u"whole number from 0"_s});
    cli("seedTooLarge", {u"--seed"_s, u"18446744073709551616"_s}, {u"--seed"_s, u"whole number"_s});
    cli("abUnknown", {u"--ab"_s, u"both"_s}, {u"--ab 'both'"_s, u"sequential or parallel"_s});
    cli("promptsEmpty", {u"--prompts="_s}, {u"--prompts"_s, u"path"_s});
    cli("valueWithNewline", {u"--pacing"_s, u"12\nm"_s}, {u"--pacing"_s, durationForm});
    cli("configUnreadable", {u"--config"_s, u"/nonexistent/aimload.conf"_s},
        {u"--config '/nonexistent/aimload.conf'"_s, u"cannot read"_s});

    env("envLocustWebPortBad", u"LOCUST_WEB_PORT=http"_s,
        {u"--web-port 'http'"_s, u"0 to 65535"_s, u"LOCUST_WEB_PORT"_s});
    env("envWebTokenShortHidden", u"AIMLOAD_WEB_TOKEN=abc"_s,
        {u"--web-token (hidden)"_s, u"at least 8 characters"_s, u"AIMLOAD_WEB_TOKEN"_s});
    env("envPacingZero", u"AIMLOAD_PACING=0"_s,
        {u"--pacing '0'"_s, durationForm, u"AIMLOAD_PACING"_s});
    env("envPacingBareAfterUnit", u"AIMLOAD_PACING=1h30"_s,
        {u"--pacing"_s, durationForm, u"AIMLOAD_PACING"_s});
    env("envUsersZero", u"AIMLOAD_USERS=0"_s, {u"--users"_s, u"1 to 10000"_s, u"AIMLOAD_USERS"_s});
    env("envAgentUrlFtp", u"AI_AGENT_URL=ftp://x"_s,
        {u"--host 'ftp://x'"_s, hostForm, u"AI_AGENT_URL"_s});
    env("envAgentUrlWithoutScheme", u"AI_AGENT_URL=ai-agent:8001"_s,
        {u"--host"_s, hostForm, u"AI_AGENT_URL"_s});
    env("envHostWithQuery", u"AIMLOAD_HOST=http://x/?a=1"_s,
        {u"--host"_s, hostForm, u"AIMLOAD_HOST"_s});
    env("envFlagNotBoolean", u"AIMLOAD_NO_WAIT_HEALTHY=maybe"_s,
        {u"--no-wait-healthy"_s, u"true or false"_s, u"AIMLOAD_NO_WAIT_HEALTHY"_s});
    env("envSimFailureRateTwo", u"AIMLOAD_SIM_FAILURE_RATE=2"_s,
        {u"--sim-failure-rate"_s, u"from 0 to 1"_s, u"AIMLOAD_SIM_FAILURE_RATE"_s});
    env("envValueWithNewline", u"AIMLOAD_PACING=1\n2"_s,
        {u"--pacing"_s, durationForm, u"AIMLOAD_PACING"_s});
    env("envConfigUnreadable", u"AIMLOAD_CONFIG=/nonexistent/aimload.conf"_s,
        {u"--config '/nonexistent/aimload.conf'"_s, u"cannot read"_s, u"AIMLOAD_CONFIG"_s});

    conf("configBadLine", u"# settings\n\npacing 12m\n"_s,
        {u"line 3"_s, u"expected 'key = value'"_s, u"'pacing 12m'"_s});
    conf("configUnknownKey", u"pacng = 5m\n"_s,
        {u"pacng'"_s, u"line 1"_s, u"did you mean --pacing?"_s});
    conf("configUnknownKeyFarOff", u"colour = blue\n"_s,
        {u"colour'"_s, u"line 1"_s, u"aimload --help"_s});
    conf("configNamesConfig", u"config = other.conf\n"_s, {u"config'"_s, u"line 1"_s});
    conf("configPacingZero", u"# first\npacing = 0\n"_s,
        {u"--pacing '0'"_s, durationForm, u"line 2"_s});
    conf("configUsersZero", u"users = 0\n"_s, {u"--users"_s, u"1 to 10000"_s, u"line 1"_s});
    conf(
        "configHostFtp", u"host = \"ftp://x\"\n"_s, {u"--host 'ftp://x'"_s, hostForm, u"line 1"_s});
    conf("configFlagNotBoolean", u"headless = sometimes\n"_s,
        {u"--headless"_s, u"true or false"_s, u"line 1"_s});
    conf("configExitCode256", u"exit_code_on_error = 256\n"_s,
        {u"--exit-code-on-error"_s, u"0 to 255"_s, u"line 1"_s});

    // The file is named by AIMLOAD_CONFIG rather than --config.
    QTest::newRow("aimloadConfigBadValue")
        << QStringList() << QStringList {u"AIMLOAD_CONFIG=%CONFIG%"_s} << u"\nusers = 0\n"_s
        << QStringList {u"--users"_s, u"1 to 10000"_s, u"aimload.conf line 2"_s};
}

void TestOptions::errors()
{
    QFETCH(QStringList, arguments);
    QFETCH(QStringList, environment);
    QFETCH(QString, config);
    QFETCH(QStringList, fragments);
    const ConfigFile file(config);

    const OptionsParser::Result result
        = parse(file.substituted(arguments), file.substituted(environment));

    QCOMPARE(result.action, OptionsParser::Action::Error);
    QVERIFY2(!result.error.contains(u'\n') && !result.error.contains(u'\r'),
        qPrintable(u"not one line: "_s + result.error));
    for (const QString& fragment : std::as_const(fragments)) {
        QVERIFY2(result.error.contains(file.substituted({fragment}).constFirst()),
            qPrintable(u"'%1' lacks '%2'"_s.arg(result.error, fragment)));
    }
}

void TestOptions::actions_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<OptionsParser::Action>("action");

    QTest::newRow("nothing") << QStringList() << OptionsParser::Action::Run;
    QTest::newRow("help") << QStringList {u"--help"_s} << OptionsParser::Action::Help;
    QTest::newRow("shortHelp") << QStringList {u"-h"_s} << OptionsParser::Action::Help;
    QTest::newRow("helpAfterOptions") << QStringList {u"--headless"_s, u"--pacing"_s, u"5m"_s,
        u"--help"_s} << OptionsParser::Action::Help;
    QTest::newRow("version") << QStringList {u"--version"_s} << OptionsParser::Action::Version;
    QTest::newRow("versionAfterOptions")
        << QStringList {u"--users=2"_s, u"--version"_s} << OptionsParser::Action::Version;
}

void TestOptions::actions()
{
    QFETCH(QStringList, arguments);
    QFETCH(OptionsParser::Action, action);

    const OptionsParser::Result result = parse(arguments);

    QCOMPARE(result.action, action);
    QCOMPARE(result.error, QString());
}

void TestOptions::helpListsEveryOption_data()
{
    QTest::addColumn<QString>("text");

    const QStringList expected {u"--config FILE"_s, u"--headless"_s, u"--host URL"_s,
        u"--prompts FILE"_s, u"--seed N"_s, u"--pacing DURATION"_s, u"--ab ORDER"_s,
        u"--chat-timeout DURATION"_s, u"--repair-timeout DURATION"_s, u"--no-wait-healthy"_s,
        u"--no-trace-context"_s, u"--users N"_s, u"--spawn-rate R"_s, u"--run-time DURATION"_s,
        u"--cycles N"_s, u"--simulate"_s, u"--sim-speed X"_s, u"--sim-failure-rate P"_s,
        u"--exit-code-on-error N"_s, u"--db PATH"_s, u"--no-db"_s, u"--fresh"_s,
        u"--web-port PORT"_s, u"--web-host ADDRESS"_s, u"--web-token TOKEN"_s, u"--csv PREFIX"_s,
        u"--html FILE"_s, u"--json FILE"_s, u"--version"_s, u"--help"_s, u"AI_AGENT_URL"_s,
        u"AIMLOAD_<OPTION>"_s, u"AIMLOAD_CONFIG"_s};
    for (const QString& text : expected)
        QTest::newRow(qPrintable(text.section(u' ', 0, 0))) << text;
}

void TestOptions::helpListsEveryOption()
{
    QFETCH(QString, text);

    QVERIFY2(OptionsParser::helpText().contains(text), qPrintable(text));
}

// An option added to the parser must get rows in this file too.
void TestOptions::everyOptionIsCoveredHere()
{
    static const QRegularExpression optionLine(
        u"^  --([a-z-]+)"_s, QRegularExpression::MultilineOption);
    const QString help = OptionsParser::helpText();
    QStringList names;
    for (const QRegularExpressionMatch& match : optionLine.globalMatch(help))
        names.append(match.captured(1));
    names.removeAll(u"config"_s);
    names.removeAll(u"version"_s);

    QVERIFY(names.size() >= 18);
    for (const QString& name : std::as_const(names))
        QVERIFY2(!field(Options(), name).startsWith(u'<'), qPrintable(name));
}

QTEST_GUILESS_MAIN(TestOptions)
#include "tst_options.moc"
