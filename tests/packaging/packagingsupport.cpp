#include "packagingsupport.h"

#include <QDeadlineTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

using namespace Qt::StringLiterals;

namespace packaging {

QString ProcessResult::describe() const
{
    if (!started)
        return u"did not start"_s;
    if (!finished)
        return u"did not finish in time"_s;
    return u"exit code %1\nstdout:\n%2\nstderr:\n%3"_s.arg(exitCode).arg(
        QString::fromUtf8(out), QString::fromUtf8(err));
}

ProcessResult run(const QString& program, const QStringList& arguments,
    const QProcessEnvironment& environment, int timeoutMs)
{
    ProcessResult result;
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(program, arguments);
    result.started = process.waitForStarted(10000);
    if (!result.started)
        return result;

    result.finished = process.waitForFinished(timeoutMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished(5000);
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QProcessEnvironment bareEnvironment(const QString& home)
{
    QProcessEnvironment environment;
    environment.insert(u"PATH"_s, u"/usr/local/bin:/usr/bin:/bin"_s);
    environment.insert(u"HOME"_s, home);
    return environment;
}

QString yamlPython()
{
    return u"/usr/bin/python3"_s;
}

bool yamlAvailable()
{
    return QFileInfo(yamlPython()).isExecutable()
        && run(yamlPython(), {u"-c"_s, u"import yaml"_s}).ok();
}

QJsonArray yamlDocuments(const QString& path, QString* error)
{
    static const QString script = uR"(import json, sys, yaml
with open(sys.argv[1], encoding="utf-8") as f:
    json.dump(list(yaml.safe_load_all(f)), sys.stdout)
)"_s;
    const ProcessResult result = run(yamlPython(), {u"-c"_s, script, path});
    if (!result.ok()) {
        *error = u"%1 is not valid YAML: %2"_s.arg(path, QString::fromUtf8(result.err));
        return {};
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(result.out, &parseError);
    if (!document.isArray()) {
        *error = u"%1: cannot read the converted YAML: %2"_s.arg(path, parseError.errorString());
        return {};
    }
    return document.array();
}

QSet<QString> helpOptions(const QString& binary)
{
    const ProcessResult result = run(binary, {u"--help"_s});
    static const QRegularExpression option(
        u"^\\s+(?:-\\w, )?--([a-z][a-z0-9-]*)"_s, QRegularExpression::MultilineOption);
    QSet<QString> names;
    for (const QRegularExpressionMatch& match : option.globalMatch(QString::fromUtf8(result.out)))
        names.insert(match.captured(1));
    return names;
}

QStringList optionNames(const QStringList& arguments)
{
    QStringList names;
    for (const QString& argument : arguments) {
        if (argument.startsWith(u"--"))
            names.append(argument.mid(2).section(u'=', 0, 0));
    }
    return names;
}

QString optionOfVariable(const QString& name)
{
    if (!name.startsWith(u"AIMLOAD_"))
        return {};
    return name.mid(8).toLower().replace(u'_', u'-');
}

quint16 freeTcpPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    return server.serverPort();
}

bool waitForHttpOk(quint16 port, const QByteArray& path, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (socket.waitForConnected(1000)) {
            socket.write(
                "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            socket.waitForBytesWritten(1000);
            QByteArray answer;
            while (!answer.contains("\r\n") && socket.waitForReadyRead(2000))
                answer += socket.readAll();
            if (answer.startsWith("HTTP/1.1 200") || answer.startsWith("HTTP/1.0 200"))
                return true;
        }
        QThread::msleep(100);
    }
    return false;
}

QString composeDefaults(const QString& text)
{
    static const QRegularExpression variable(u"\\$\\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\\}"_s);
    QString resolved = text;
    return resolved.replace(variable, u"\\1"_s);
}

} // namespace packaging
