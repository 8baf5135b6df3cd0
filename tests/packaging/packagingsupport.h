#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QList>
#include <QProcessEnvironment>
#include <QSet>
#include <QString>
#include <QStringList>

// Helpers shared by the packaging tests: running programs, reading YAML through
// python3-yaml, and knowing which options the built aimload accepts.
namespace packaging {

struct ProcessResult
{
    bool started = false;
    bool finished = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;

    bool ok() const { return finished && exitCode == 0; }
    // For failure messages: the exit code and both streams.
    QString describe() const;
};

ProcessResult run(const QString& program, const QStringList& arguments,
    const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment(),
    int timeoutMs = 60000);

// PATH and HOME only, as a container starts, plus what the caller adds.
QProcessEnvironment bareEnvironment(const QString& home);

// Debian's python3 with its yaml module, which the YAML checks need.
QString yamlPython();
bool yamlAvailable();
// Every document of a YAML file as JSON values; an error text instead when the file is
// not valid YAML.
QJsonArray yamlDocuments(const QString& path, QString* error);

// The long options `aimload --help` lists, without the leading dashes.
QSet<QString> helpOptions(const QString& binary);
// The option names in an argument list ("--web-port" and "--web-port=1" give "web-port").
QStringList optionNames(const QStringList& arguments);
// The option an AIMLOAD_<OPTION> variable stands for ("AIMLOAD_WEB_PORT" gives
// "web-port"), or an empty string for any other name.
QString optionOfVariable(const QString& name);

quint16 freeTcpPort();
// Polls GET path on 127.0.0.1:port until it answers 200 or the time runs out.
bool waitForHttpOk(quint16 port, const QByteArray& path, int timeoutMs);

// Compose's ${NAME:-default} and ${NAME-default}, resolved to their defaults.
QString composeDefaults(const QString& text);

} // namespace packaging
