#pragma once

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

namespace packaging {

struct DockerInstruction
{
    QString keyword; // upper case: "RUN", "ENV", ...
    QString arguments; // continuation lines joined with spaces
    int line = 0;
};

struct DockerStage
{
    QString name;
    QString base; // with ARG defaults substituted
    QList<DockerInstruction> instructions;
};

// Just enough of the Dockerfile syntax for the checks in tst_container: instructions,
// line continuations, comments, stages and ARG defaults.
class Dockerfile
{
public:
    bool load(const QString& path, QString* error);

    const QList<DockerStage>& stages() const { return m_stages; }
    const DockerStage* stage(const QString& name) const;

    static QList<DockerInstruction> find(const DockerStage& stage, const QString& keyword);
    // The package names of every `apt-get install` in the stage's RUN instructions.
    static QStringList aptPackages(const DockerStage& stage);
    // NAME=value pairs of the stage's ENV instructions, quotes removed.
    static QHash<QString, QString> environment(const DockerStage& stage);

private:
    QHash<QString, QString> m_args;
    QList<DockerStage> m_stages;
};

} // namespace packaging
