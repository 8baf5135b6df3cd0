// packaging/container: the Dockerfile's runtime stage against the built binary, its
// entry point and environment, and the compose service that replaces Locust.

#include "debianpackages.h"
#include "dockerfile.h"
#include "packagingsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace packaging;

namespace {

const QString sourceDir = QStringLiteral(AIMLOAD_SOURCE_DIR);
const QString binary = QStringLiteral(AIMLOAD_BINARY);

// The base image has these; the Dockerfile need not name them.
const QSet<QString> basePackages {u"libc6"_s, u"libstdc++6"_s, u"libgcc-s1"_s};
// Installed for something other than a linked library: the health check's tool, CA
// certificates for an https agent, and the SQLite driver plugin.
const QSet<QString> nonLibraryPackages {
    u"busybox"_s, u"curl"_s, u"ca-certificates"_s, u"libqt6sql6-sqlite"_s};
// In scripts/install-deps.sh for the tests or for plugins loaded at run time, so not in the
// build stage.
const QSet<QString> testOnlyPackages {u"python3"_s, u"python3-fastapi"_s, u"python3-uvicorn"_s,
    u"python3-yaml"_s, u"procps"_s, u"libqt6sql6-sqlite"_s, u"libqt6svg6"_s,
    u"desktop-file-utils"_s, u"appstream"_s};
// The image is built without the window (-DAIMLOAD_WINDOW=OFF): Qt Charts, and the Qt
// OpenGL its CMake config requires, are for the window alone, and so are the packages of
// its libraries and plugins at run time.
const QString noWindowOption = u"-DAIMLOAD_WINDOW=OFF"_s;
const QSet<QString> windowBuildPackages {u"qt6-charts-dev"_s, u"libqt6opengl6-dev"_s};
const QSet<QString> windowRuntimePackages {u"libqt6gui6"_s, u"libqt6widgets6"_s, u"libqt6opengl6"_s,
    u"libqt6openglwidgets6"_s, u"libqt6charts6"_s, u"libqt6svg6"_s, u"qt6-qpa-plugins"_s};

QStringList jsonStrings(const QString& text, bool* ok)
{
    const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8());
    *ok = document.isArray();
    QStringList strings;
    for (const QJsonValue& value : document.array()) {
        *ok = *ok && value.isString();
        strings.append(value.toString());
    }
    return strings;
}

QStringList installDepsPackages()
{
    QFile file(sourceDir + u"/scripts/install-deps.sh"_s);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return {};
    static const QRegularExpression list(
        u"^packages=\\(([^)]*)\\)"_s, QRegularExpression::MultilineOption);
    const QString body = list.match(QString::fromUtf8(file.readAll())).captured(1);
    QStringList packages;
    for (const QString& line : body.split(u'\n')) {
        const QString word = line.section(u'#', 0, 0).trimmed();
        if (!word.isEmpty())
            packages.append(word);
    }
    return packages;
}

} // namespace

class ContainerTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void stagesBuildOnDebian12Slim();
    void buildStageInstallsTheBuildDependencies();
    void imageLeavesTheWindowOut();
    void runtimePackagesCoverLinkedLibraries();
    void entryPointIsExecForm();
    void runsAsNonRootWithStopSignalAndHealthCheck();
    void environmentNamesAreOptions();
    void environmentOpensTheStatusPort();
    void defaultCommandServesHealthzAndStopsCleanly();
    void composeServiceReplacesLocust();
    void composeOptionsExist();

private:
    const DockerStage& runtime() const { return *m_dockerfile.stage(u"runtime"_s); }
    QString single(const QString& keyword) const;

    Dockerfile m_dockerfile;
    QSet<QString> m_options;
    QJsonObject m_compose;
};

void ContainerTest::initTestCase()
{
    QString error;
    QVERIFY2(m_dockerfile.load(sourceDir + u"/packaging/container/Dockerfile"_s, &error),
        qPrintable(error));
    QVERIFY2(m_dockerfile.stage(u"runtime"_s), "the Dockerfile has no stage named runtime");
    m_options = helpOptions(binary);
    QVERIFY2(m_options.contains(u"headless"_s), "aimload --help lists no --headless");

    if (!yamlAvailable())
        return;
    const QJsonArray documents
        = yamlDocuments(sourceDir + u"/packaging/container/compose.yaml"_s, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(documents.size(), 1);
    m_compose = documents.first().toObject();
}

QString ContainerTest::single(const QString& keyword) const
{
    const QList<DockerInstruction> found = Dockerfile::find(runtime(), keyword);
    return found.size() == 1 ? found.first().arguments : QString();
}

void ContainerTest::stagesBuildOnDebian12Slim()
{
    QCOMPARE(m_dockerfile.stages().size(), 2);
    for (const DockerStage& stage : m_dockerfile.stages())
        QCOMPARE(stage.base, u"debian:12-slim"_s);
    QVERIFY(m_dockerfile.stage(u"build"_s));
}

void ContainerTest::buildStageInstallsTheBuildDependencies()
{
    const QStringList expected = installDepsPackages();
    QVERIFY2(!expected.isEmpty(), "no packages=( ... ) list in scripts/install-deps.sh");
    const QStringList installed = Dockerfile::aptPackages(*m_dockerfile.stage(u"build"_s));

    for (const QString& package : expected) {
        const bool testOnly = testOnlyPackages.contains(package);
        const bool windowOnly = windowBuildPackages.contains(package);
        QVERIFY2(installed.contains(package) == !(testOnly || windowOnly),
            qPrintable(u"%1 is %2 in the build stage"_s.arg(package,
                testOnly         ? u"test-only but listed"_s
                    : windowOnly ? u"only for the window but listed"_s
                                 : u"missing"_s)));
    }
    for (const QString& package : installed) {
        QVERIFY2(expected.contains(package),
            qPrintable(package + u" is in the build stage but not in scripts/install-deps.sh"_s));
    }
}

// The image runs headless: built without the window, it needs none of its packages.
void ContainerTest::imageLeavesTheWindowOut()
{
    bool configured = false;
    for (const DockerInstruction& step :
        Dockerfile::find(*m_dockerfile.stage(u"build"_s), u"RUN"_s)) {
        if (step.arguments.contains(u"cmake -S "_s))
            configured = step.arguments.contains(noWindowOption);
    }
    QVERIFY2(configured, qPrintable(u"the build stage must configure with "_s + noWindowOption));
    for (const QString& package : Dockerfile::aptPackages(runtime())) {
        QVERIFY2(!windowRuntimePackages.contains(package),
            qPrintable(package + u" is only for the window, which the image leaves out"_s));
    }
}

// Every library the binary maps must come with the runtime stage: directly named
// libraries from a package the Dockerfile lists itself, the rest from the dependencies
// apt pulls in with those packages.
void ContainerTest::runtimePackagesCoverLinkedLibraries()
{
    if (QStandardPaths::findExecutable(u"dpkg"_s).isEmpty())
        QSKIP("dpkg is not installed: cannot map libraries to Debian packages");
    const QStringList listed = Dockerfile::aptPackages(runtime());
    QString error;
    DebianPackages packages;
    QVERIFY2(packages.load(&error), qPrintable(error));
    const QList<LinkedLibrary> libraries = DebianPackages::linkedLibraries(binary, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QStringList needed = DebianPackages::neededLibraries(binary, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QStringList paths;
    for (const LinkedLibrary& library : libraries)
        paths.append(library.path);
    const QHash<QString, QString> owners = DebianPackages::owners(paths, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));

    const QSet<QString> installed = packages.closure(listed) + basePackages;
    QSet<QString> used;
    for (const LinkedLibrary& library : libraries) {
        const QString owner = owners.value(library.path);
        QVERIFY2(!owner.isEmpty(), qPrintable(library.path + u" belongs to no Debian package"_s));
        used.insert(owner);
        if (basePackages.contains(owner))
            continue;
        if (needed.contains(library.soname)) {
            QVERIFY2(listed.contains(owner),
                qPrintable(u"aimload links %1 directly; add %2 to the runtime stage's apt-get "
                           "install"_s.arg(library.soname, owner)));
        }
        QVERIFY2(installed.contains(owner),
            qPrintable(
                u"%1 (package %2) would be missing from the image"_s.arg(library.path, owner)));
    }

    if (needed.contains(u"libQt6Sql.so.6"_s))
        QVERIFY2(listed.contains(u"libqt6sql6-sqlite"_s), "the journal needs the QSQLITE plugin");
    for (const QString& package : listed) {
        if (!used.contains(package) && !nonLibraryPackages.contains(package))
            qInfo("%s is listed but provides no library this build links", qPrintable(package));
    }
}

void ContainerTest::entryPointIsExecForm()
{
    bool ok = false;
    const QStringList entryPoint = jsonStrings(single(u"ENTRYPOINT"_s), &ok);
    QVERIFY2(ok, "ENTRYPOINT must be one JSON array of strings (exec form)");
    QCOMPARE(entryPoint, QStringList {u"/usr/bin/aimload"_s});

    const QStringList command = jsonStrings(single(u"CMD"_s), &ok);
    QVERIFY2(ok, "CMD must be one JSON array of strings (exec form)");
    QVERIFY(command.contains(u"--headless"_s));
}

void ContainerTest::runsAsNonRootWithStopSignalAndHealthCheck()
{
    const QString user = single(u"USER"_s);
    QVERIFY2(!user.isEmpty() && user != u"root" && !user.startsWith(u"0"), qPrintable(user));
    QCOMPARE(single(u"STOPSIGNAL"_s), u"SIGTERM"_s);
    QCOMPARE(single(u"EXPOSE"_s), u"8089"_s);

    const QString healthCheck = single(u"HEALTHCHECK"_s);
    QVERIFY2(healthCheck.contains(u" CMD "_s) && healthCheck.contains(u"/healthz"_s),
        qPrintable(healthCheck));
    const QString tool = healthCheck.section(u" CMD "_s, 1).section(u' ', 0, 0);
    QVERIFY2(Dockerfile::aptPackages(runtime()).contains(tool),
        qPrintable(
            u"the health check runs %1, which the runtime stage does not install"_s.arg(tool)));

    bool copiesPool = false;
    for (const DockerInstruction& copy : Dockerfile::find(runtime(), u"COPY"_s))
        copiesPool |= copy.arguments.endsWith(u" /usr/share/aimload/prompts/default.json"_s);
    QVERIFY2(copiesPool, "the default pool is not copied to /usr/share/aimload/prompts");
}

void ContainerTest::environmentNamesAreOptions()
{
    const QHash<QString, QString> environment = Dockerfile::environment(runtime());
    QCOMPARE(environment.value(u"AI_AGENT_URL"_s), u"http://ai-agent:8001"_s);
    for (auto it = environment.cbegin(); it != environment.cend(); ++it) {
        const QString option = optionOfVariable(it.key());
        if (option.isEmpty()) {
            QVERIFY2(it.key() == u"AI_AGENT_URL" || it.key() == u"LOCUST_WEB_PORT",
                qPrintable(it.key() + u" is not a variable aimload reads"_s));
        } else {
            QVERIFY2(m_options.contains(option),
                qPrintable(u"%1: aimload has no --%2"_s.arg(it.key(), option)));
        }
    }
}

// aimload serves nothing without a port, and only to itself without a wildcard host.
void ContainerTest::environmentOpensTheStatusPort()
{
    const QHash<QString, QString> environment = Dockerfile::environment(runtime());
    const QString port
        = environment.value(u"AIMLOAD_WEB_PORT"_s, environment.value(u"LOCUST_WEB_PORT"_s));
    QCOMPARE(port, single(u"EXPOSE"_s));
    QCOMPARE(environment.value(u"AIMLOAD_WEB_HOST"_s), u"0.0.0.0"_s);
}

// The image as compose starts it: its environment, its CMD, and the port from
// LOCUST_WEB_PORT. Only the simulated agent, a scratch journal and a loopback address
// are added.
void ContainerTest::defaultCommandServesHealthzAndStopsCleanly()
{
    bool ok = false;
    QStringList arguments = jsonStrings(single(u"CMD"_s), &ok);
    QVERIFY(ok);
    for (const QString& option : optionNames(arguments))
        QVERIFY2(m_options.contains(option), qPrintable(u"CMD has unknown --"_s + option));

    QTemporaryDir scratch;
    QVERIFY(scratch.isValid());
    const quint16 port = freeTcpPort();
    QVERIFY(port != 0);
    QProcessEnvironment environment = bareEnvironment(scratch.path());
    const QHash<QString, QString> imageEnvironment = Dockerfile::environment(runtime());
    for (auto it = imageEnvironment.cbegin(); it != imageEnvironment.cend(); ++it)
        environment.insert(it.key(), it.value());
    environment.insert(u"LOCUST_WEB_PORT"_s, QString::number(port));
    // A container has its own network; this machine's is shared: loopback only.
    environment.insert(u"AIMLOAD_WEB_HOST"_s, u"127.0.0.1"_s);
    arguments += {u"--simulate"_s, u"--sim-speed"_s, u"1000"_s, u"--pacing"_s, u"1h"_s};
    arguments += {u"--db"_s, scratch.filePath(u"aimload.db"_s)};

    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(binary, arguments);
    QVERIFY2(process.waitForStarted(5000), qPrintable(process.errorString()));
    const bool healthy = waitForHttpOk(port, "/healthz", 15000);
    process.terminate();
    const bool stopped = process.waitForFinished(10000);
    if (!stopped)
        process.kill();
    const QString output
        = QString::fromUtf8(process.readAllStandardOutput() + process.readAllStandardError());
    QVERIFY2(healthy,
        qPrintable(u"nothing answered GET /healthz on LOCUST_WEB_PORT=%1:\n"_s.arg(port) + output));
    QVERIFY2(stopped && process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
        qPrintable(u"SIGTERM did not end aimload with exit code 0:\n"_s + output));
}

void ContainerTest::composeServiceReplacesLocust()
{
    if (!yamlAvailable())
        QSKIP("/usr/bin/python3 with the yaml module is needed (Debian: python3-yaml)");
    const QJsonObject service = m_compose[u"services"][u"locust"].toObject();
    QVERIFY2(!service.isEmpty(), "no service named locust");

    QVERIFY(!service[u"image"].toString().isEmpty());
    const QString dockerfile = service[u"build"][u"dockerfile"].toString();
    QVERIFY2(QFile::exists(sourceDir + u'/' + dockerfile), qPrintable(dockerfile));

    QStringList ports;
    for (const QJsonValue& port : service[u"ports"].toArray())
        ports.append(composeDefaults(port.toString()));
    QCOMPARE(ports, QStringList {u"8089:8089"_s});

    const QJsonObject environment = service[u"environment"].toObject();
    QCOMPARE(environment[u"AI_AGENT_URL"].toString(), u"http://ai-agent:8001"_s);
    QCOMPARE(composeDefaults(environment[u"LOCUST_WEB_PORT"].toString()), u"8089"_s);

    QCOMPARE(service[u"depends_on"][u"ai-agent"][u"condition"].toString(), u"service_healthy"_s);
    QCOMPARE(service[u"restart"].toString(), u"unless-stopped"_s);
    QVERIFY(service[u"networks"].toArray().contains(u"aim-network"_s));
    QVERIFY(m_compose[u"networks"].toObject().contains(u"aim-network"));

    bool journalVolume = false;
    for (const QJsonValue& volume : service[u"volumes"].toArray()) {
        const QString name = volume.toString().section(u':', 0, 0);
        if (volume.toString().section(u':', 1, 1) == u"/var/lib/aimload")
            journalVolume = m_compose[u"volumes"].toObject().contains(name);
    }
    QVERIFY2(journalVolume, "no named volume declared for /var/lib/aimload");
}

void ContainerTest::composeOptionsExist()
{
    if (!yamlAvailable())
        QSKIP("/usr/bin/python3 with the yaml module is needed (Debian: python3-yaml)");
    const QJsonObject service = m_compose[u"services"][u"locust"].toObject();
    QStringList command;
    for (const QJsonValue& argument : service[u"command"].toArray())
        command.append(argument.toString());
    QVERIFY2(command.contains(u"--headless"_s), "the command replaces Locust's arguments");
    for (const QString& option : optionNames(command))
        QVERIFY2(m_options.contains(option), qPrintable(u"command has unknown --"_s + option));

    const QStringList names = service[u"environment"].toObject().keys();
    for (const QString& name : names) {
        const QString option = optionOfVariable(name);
        QVERIFY2(option.isEmpty() || m_options.contains(option),
            qPrintable(u"%1: aimload has no --%2"_s.arg(name, option)));
    }
}

QTEST_GUILESS_MAIN(ContainerTest)
#include "tst_container.moc"
