// packaging/kubernetes: every manifest read by a real YAML parser, the references
// between them, and the container's arguments run through the built aimload.

#include "packagingsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace Qt::StringLiterals;
using namespace packaging;

namespace {

const QString sourceDir = QStringLiteral(AIMLOAD_SOURCE_DIR);
const QString binary = QStringLiteral(AIMLOAD_BINARY);
const QString manifestDir = sourceDir + u"/packaging/kubernetes"_s;

// "5m" -> 0.005, "32Mi" -> 33554432; nullopt for anything else.
std::optional<double> quantity(const QString& text)
{
    static const QRegularExpression form(u"^([0-9.]+)(m|k|M|G|Ki|Mi|Gi)?$"_s);
    const QRegularExpressionMatch match = form.match(text);
    if (!match.hasMatch())
        return std::nullopt;
    static const QHash<QString, double> scale {{u"m"_s, 1e-3}, {u"k"_s, 1e3}, {u"M"_s, 1e6},
        {u"G"_s, 1e9}, {u"Ki"_s, 1024.0}, {u"Mi"_s, 1048576.0}, {u"Gi"_s, 1073741824.0}};
    return match.captured(1).toDouble() * scale.value(match.captured(2), 1.0);
}

bool containsLabels(const QJsonObject& labels, const QJsonObject& selector)
{
    for (auto it = selector.constBegin(); it != selector.constEnd(); ++it) {
        if (labels.value(it.key()) != it.value())
            return false;
    }
    return !selector.isEmpty();
}

QStringList strings(const QJsonArray& array)
{
    QStringList list;
    for (const QJsonValue& value : array)
        list.append(value.toString());
    return list;
}

} // namespace

class KubernetesTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void everyObjectHasAKnownKindAndVersion();
    void kustomizationListsEveryManifest();
    void selectorsMatchTheTemplate();
    void portsAndProbes();
    void prometheusScrapesTheMetricsPort();
    void promptPoolComesFromTheConfigMap();
    void seedComesFromThePodIndex();
    void securityAndResources();
    void argumentsAreAimloadOptions();
    void replicaStartsWithItsArguments();

private:
    QJsonObject object(const QString& kind) const;
    QJsonObject container() const;
    QString configMapPool(QString* error) const;
    QProcessEnvironment replicaEnvironment(const QString& home, const QString& seed) const;
    QStringList replicaArguments(const QString& poolFile) const;

    QList<QJsonObject> m_objects;
    QJsonObject m_kustomization;
    QSet<QString> m_options;
};

void KubernetesTest::initTestCase()
{
    if (!yamlAvailable())
        QSKIP("/usr/bin/python3 with the yaml module is needed (Debian: python3-yaml)");
    m_options = helpOptions(binary);
    QVERIFY2(m_options.contains(u"headless"_s), "aimload --help lists no --headless");

    const QStringList files = QDir(manifestDir).entryList({u"*.yaml"_s}, QDir::Files);
    QVERIFY(!files.isEmpty());
    for (const QString& file : files) {
        QString error;
        const QJsonArray documents = yamlDocuments(manifestDir + u'/' + file, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        for (const QJsonValue& document : documents) {
            QVERIFY2(document.isObject(), qPrintable(file + u" holds a document that is no map"_s));
            if (file == u"kustomization.yaml")
                m_kustomization = document.toObject();
            else
                m_objects.append(document.toObject());
        }
    }
}

QJsonObject KubernetesTest::object(const QString& kind) const
{
    for (const QJsonObject& object : m_objects) {
        if (object[u"kind"] == kind)
            return object;
    }
    return {};
}

QJsonObject KubernetesTest::container() const
{
    const QJsonArray containers
        = object(u"StatefulSet"_s)[u"spec"][u"template"][u"spec"][u"containers"].toArray();
    return containers.size() == 1 ? containers.first().toObject() : QJsonObject();
}

void KubernetesTest::everyObjectHasAKnownKindAndVersion()
{
    const QHash<QString, QString> versions {
        {u"ConfigMap"_s, u"v1"_s}, {u"Service"_s, u"v1"_s}, {u"StatefulSet"_s, u"apps/v1"_s}};
    QSet<QString> kinds;
    for (const QJsonObject& object : std::as_const(m_objects)) {
        const QString kind = object[u"kind"].toString();
        QVERIFY2(versions.contains(kind), qPrintable(u"unexpected kind "_s + kind));
        QCOMPARE(object[u"apiVersion"].toString(), versions.value(kind));
        QVERIFY(!object[u"metadata"][u"name"].toString().isEmpty());
        kinds.insert(kind);
    }
    QCOMPARE(kinds.size(), versions.size());
    QCOMPARE(object(u"StatefulSet"_s)[u"spec"][u"replicas"].toInt(), 3);
}

void KubernetesTest::kustomizationListsEveryManifest()
{
    QCOMPARE(m_kustomization[u"kind"].toString(), u"Kustomization"_s);
    QStringList resources = strings(m_kustomization[u"resources"].toArray());
    QStringList files = QDir(manifestDir).entryList({u"*.yaml"_s}, QDir::Files);
    files.removeAll(u"kustomization.yaml"_s);
    resources.sort();
    files.sort();
    QCOMPARE(resources, files);
}

void KubernetesTest::selectorsMatchTheTemplate()
{
    const QJsonObject statefulSet = object(u"StatefulSet"_s);
    const QJsonObject podLabels
        = statefulSet[u"spec"][u"template"][u"metadata"][u"labels"].toObject();
    QVERIFY(
        containsLabels(podLabels, statefulSet[u"spec"][u"selector"][u"matchLabels"].toObject()));

    const QJsonObject service = object(u"Service"_s);
    QVERIFY(containsLabels(podLabels, service[u"spec"][u"selector"].toObject()));
    // A StatefulSet names the headless Service that governs its pods.
    QCOMPARE(statefulSet[u"spec"][u"serviceName"], service[u"metadata"][u"name"]);
    QCOMPARE(service[u"spec"][u"clusterIP"].toString(), u"None"_s);
}

void KubernetesTest::portsAndProbes()
{
    const QJsonObject main = container();
    QVERIFY(!main.isEmpty());
    const QJsonArray ports = main[u"ports"].toArray();
    QCOMPARE(ports.size(), 1);
    const QString portName = ports.first()[u"name"].toString();
    QCOMPARE(ports.first()[u"containerPort"].toInt(), 8089);

    const QStringList arguments = strings(main[u"args"].toArray());
    const qsizetype webPort = arguments.indexOf(u"--web-port"_s);
    QVERIFY2(webPort >= 0 && webPort + 1 < arguments.size(), "no --web-port in args");
    QCOMPARE(arguments.at(webPort + 1), u"8089"_s);
    QVERIFY(arguments.contains(u"0.0.0.0"_s));

    for (const QString& probe : {u"livenessProbe"_s, u"readinessProbe"_s}) {
        const QJsonObject get = main[probe][u"httpGet"].toObject();
        QVERIFY2(!get.isEmpty(), qPrintable(probe + u" is no httpGet probe"_s));
        QCOMPARE(get[u"path"].toString(), u"/healthz"_s);
        QCOMPARE(get[u"port"].toString(), portName);
    }

    const QJsonArray servicePorts = object(u"Service"_s)[u"spec"][u"ports"].toArray();
    QCOMPARE(servicePorts.size(), 1);
    QCOMPARE(servicePorts.first()[u"port"].toInt(), 8089);
    QCOMPARE(servicePorts.first()[u"targetPort"].toString(), portName);
}

void KubernetesTest::prometheusScrapesTheMetricsPort()
{
    const QJsonObject annotations = object(u"Service"_s)[u"metadata"][u"annotations"].toObject();
    QCOMPARE(annotations[u"prometheus.io/scrape"].toString(), u"true"_s);
    QCOMPARE(annotations[u"prometheus.io/port"].toString(), u"8089"_s);
    QCOMPARE(annotations[u"prometheus.io/path"].toString(), u"/metrics"_s);
}

QString KubernetesTest::configMapPool(QString* error) const
{
    const QJsonObject main = container();
    const QStringList arguments = strings(main[u"args"].toArray());
    const qsizetype prompts = arguments.indexOf(u"--prompts"_s);
    if (prompts < 0 || prompts + 1 >= arguments.size())
        return *error = u"no --prompts in args"_s, QString();
    const QString path = arguments.at(prompts + 1);

    const QJsonArray volumes
        = object(u"StatefulSet"_s)[u"spec"][u"template"][u"spec"][u"volumes"].toArray();
    for (const QJsonValue& mount : main[u"volumeMounts"].toArray()) {
        const QString mountPath = mount[u"mountPath"].toString() + u'/';
        if (!path.startsWith(mountPath))
            continue;
        for (const QJsonValue& volume : volumes) {
            if (volume[u"name"] != mount[u"name"])
                continue;
            const QJsonObject configMapVolume = volume[u"configMap"].toObject();
            const QJsonObject configMap = object(u"ConfigMap"_s);
            if (configMapVolume[u"name"] != configMap[u"metadata"][u"name"])
                return *error = u"the volume names no ConfigMap in these manifests"_s, QString();
            for (const QJsonValue& item : configMapVolume[u"items"].toArray()) {
                if (mountPath + item[u"path"].toString() != path)
                    continue;
                const QJsonValue data = configMap[u"data"][item[u"key"].toString()];
                if (!data.isString())
                    return *error = u"the ConfigMap has no key "_s + item[u"key"].toString(),
                           QString();
                return data.toString();
            }
        }
    }
    return *error = u"no ConfigMap item is mounted at "_s + path, QString();
}

void KubernetesTest::promptPoolComesFromTheConfigMap()
{
    QString error;
    const QString pool = configMapPool(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));

    // The pool must load in aimload itself; a run of one cycle shows it does.
    QTemporaryDir scratch;
    QFile file(scratch.filePath(u"prompts.json"_s));
    QVERIFY(file.open(QIODevice::WriteOnly) && file.write(pool.toUtf8()) > 0);
    file.close();
    QStringList arguments {u"--headless"_s, u"--prompts"_s, file.fileName(), u"--simulate"_s,
        u"--sim-speed"_s, u"1000"_s, u"--cycles"_s, u"1"_s, u"--no-db"_s};
    const ProcessResult result = run(binary, arguments, bareEnvironment(scratch.path()));
    QVERIFY2(result.ok(), qPrintable(result.describe()));
    QVERIFY2(result.out.contains(
                 QByteArray("Loaded prompt pool " + file.fileName().toUtf8() + ": 19 prompts")),
        result.out.constData());
}

void KubernetesTest::seedComesFromThePodIndex()
{
    QJsonObject seed;
    for (const QJsonValue& variable : container()[u"env"].toArray()) {
        if (variable[u"name"] == u"AIMLOAD_SEED"_s)
            seed = variable.toObject();
    }
    QCOMPARE(seed[u"valueFrom"][u"fieldRef"][u"fieldPath"].toString(),
        u"metadata.labels['apps.kubernetes.io/pod-index']"_s);
    // The label holds the ordinal as decimal digits, which --seed accepts.
    QTemporaryDir scratch;
    const ProcessResult result = run(binary,
        {u"--headless"_s, u"--simulate"_s, u"--sim-speed"_s, u"1000"_s, u"--cycles"_s, u"1"_s,
            u"--no-db"_s},
        replicaEnvironment(scratch.path(), u"2"_s));
    QVERIFY2(result.ok(), qPrintable(result.describe()));
    QVERIFY2(result.out.contains(", seed 2"), result.out.constData());
}

void KubernetesTest::securityAndResources()
{
    const QJsonObject pod = object(u"StatefulSet"_s)[u"spec"][u"template"][u"spec"].toObject();
    QVERIFY(pod[u"securityContext"][u"runAsNonRoot"].toBool());
    QVERIFY(pod[u"securityContext"][u"runAsUser"].toInt() > 0);

    const QJsonObject main = container();
    const QJsonObject security = main[u"securityContext"].toObject();
    QVERIFY(security[u"readOnlyRootFilesystem"].toBool());
    QCOMPARE(security[u"allowPrivilegeEscalation"].toBool(true), false);
    QVERIFY(security[u"capabilities"][u"drop"].toArray().contains(u"ALL"_s));

    // The journal's directory must be writable although the root file system is not.
    bool journalWritable = false;
    for (const QJsonValue& mount : main[u"volumeMounts"].toArray()) {
        if (mount[u"mountPath"] != u"/var/lib/aimload"_s)
            continue;
        for (const QJsonValue& volume : pod[u"volumes"].toArray())
            journalWritable |= volume[u"name"] == mount[u"name"] && volume[u"emptyDir"].isObject();
    }
    QVERIFY2(journalWritable, "/var/lib/aimload is not an emptyDir");

    for (const QString& resource : {u"cpu"_s, u"memory"_s}) {
        const auto request = quantity(main[u"resources"][u"requests"][resource].toString());
        const auto limit = quantity(main[u"resources"][u"limits"][resource].toString());
        QVERIFY2(request && limit, qPrintable(resource + u": request or limit missing"_s));
        QVERIFY2(*request <= *limit, qPrintable(resource + u": request above limit"_s));
    }
}

void KubernetesTest::argumentsAreAimloadOptions()
{
    const QJsonObject main = container();
    const QStringList arguments = strings(main[u"args"].toArray());
    QVERIFY(arguments.contains(u"--headless"_s));
    for (const QString& option : optionNames(arguments)) {
        QVERIFY2(m_options.contains(option), qPrintable(u"args has unknown --"_s + option));
    }
    for (const QJsonValue& variable : main[u"env"].toArray()) {
        const QString option = optionOfVariable(variable[u"name"].toString());
        QVERIFY2(option.isEmpty() || m_options.contains(option),
            qPrintable(u"env: aimload has no --"_s + option));
    }
}

QProcessEnvironment KubernetesTest::replicaEnvironment(
    const QString& home, const QString& seed) const
{
    QProcessEnvironment environment = bareEnvironment(home);
    for (const QJsonValue& variable : container()[u"env"].toArray()) {
        const QString name = variable[u"name"].toString();
        environment.insert(
            name, variable[u"value"].isString() ? variable[u"value"].toString() : seed);
    }
    return environment;
}

QStringList KubernetesTest::replicaArguments(const QString& poolFile) const
{
    QStringList arguments = strings(container()[u"args"].toArray());
    const qsizetype prompts = arguments.indexOf(u"--prompts"_s);
    arguments[prompts + 1] = poolFile;
    return arguments;
}

// A replica's exact arguments and environment, with the simulated agent, a free port
// and a scratch journal added: everything must parse and the status port must answer.
void KubernetesTest::replicaStartsWithItsArguments()
{
    QString error;
    const QString pool = configMapPool(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QTemporaryDir scratch;
    QFile file(scratch.filePath(u"prompts.json"_s));
    QVERIFY(file.open(QIODevice::WriteOnly) && file.write(pool.toUtf8()) > 0);
    file.close();

    const quint16 port = freeTcpPort();
    QStringList arguments = replicaArguments(file.fileName());
    arguments += {u"--simulate"_s, u"--sim-speed"_s, u"1000"_s, u"--pacing"_s, u"1h"_s,
        u"--web-port"_s, QString::number(port), u"--web-host"_s, u"127.0.0.1"_s};
    arguments += {u"--db"_s, scratch.filePath(u"aimload.db"_s)};

    QProcess process;
    process.setProcessEnvironment(replicaEnvironment(scratch.path(), u"1"_s));
    process.start(binary, arguments);
    QVERIFY2(process.waitForStarted(5000), qPrintable(process.errorString()));
    const bool healthy = waitForHttpOk(port, "/healthz", 15000);
    process.terminate();
    const bool stopped = process.waitForFinished(10000);
    if (!stopped)
        process.kill();
    const QString output
        = QString::fromUtf8(process.readAllStandardOutput() + process.readAllStandardError());
    QVERIFY2(healthy, qPrintable(u"GET /healthz got no 200:\n"_s + output));
    QVERIFY2(stopped && process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
        qPrintable(output));
}

QTEST_GUILESS_MAIN(KubernetesTest)
#include "tst_kubernetes.moc"
