#include "dockerfile.h"

#include <QFile>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace packaging {

namespace {

QString substituteArgs(QString text, const QHash<QString, QString>& args)
{
    for (auto it = args.cbegin(); it != args.cend(); ++it) {
        text.replace(u"${"_s + it.key() + u'}', it.value());
        text.replace(u'$' + it.key(), it.value());
    }
    return text;
}

QString unquote(const QString& value)
{
    if (value.size() >= 2 && value.front() == value.back()
        && (value.front() == u'"' || value.front() == u'\''))
        return value.mid(1, value.size() - 2);
    return value;
}

} // namespace

bool Dockerfile::load(const QString& path, QString* error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        *error = u"cannot read %1: %2"_s.arg(path, file.errorString());
        return false;
    }

    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');
    QString pending;
    int pendingLine = 0;
    for (int i = 0; i < lines.size(); ++i) {
        const QString line = lines.at(i).trimmed();
        // Comment lines end nothing: Docker drops them even inside a continuation.
        if (line.startsWith(u'#') || (line.isEmpty() && pending.isEmpty()))
            continue;
        if (pending.isEmpty())
            pendingLine = i + 1;
        const bool continues = line.endsWith(u'\\');
        pending += (pending.isEmpty() ? QString() : u" "_s) + (continues ? line.chopped(1) : line);
        if (continues)
            continue;

        const QString keyword = pending.section(u' ', 0, 0).toUpper();
        const QString arguments = pending.section(u' ', 1).simplified();
        pending.clear();
        if (keyword == u"FROM") {
            static const QRegularExpression from(
                u"^(\\S+)(?:\\s+AS\\s+(\\S+))?$"_s, QRegularExpression::CaseInsensitiveOption);
            const QRegularExpressionMatch match = from.match(arguments);
            m_stages.append({match.captured(2), substituteArgs(match.captured(1), m_args), {}});
        } else if (keyword == u"ARG" && m_stages.isEmpty()) {
            m_args.insert(arguments.section(u'=', 0, 0), unquote(arguments.section(u'=', 1)));
        } else if (m_stages.isEmpty()) {
            *error = u"%1 line %2: %3 before FROM"_s.arg(path).arg(pendingLine).arg(keyword);
            return false;
        } else {
            m_stages.last().instructions.append({keyword, arguments, pendingLine});
        }
    }
    if (m_stages.isEmpty())
        *error = u"%1 has no FROM"_s.arg(path);
    return !m_stages.isEmpty();
}

const DockerStage* Dockerfile::stage(const QString& name) const
{
    for (const DockerStage& stage : m_stages) {
        if (stage.name == name)
            return &stage;
    }
    return nullptr;
}

QList<DockerInstruction> Dockerfile::find(const DockerStage& stage, const QString& keyword)
{
    QList<DockerInstruction> found;
    for (const DockerInstruction& instruction : stage.instructions) {
        if (instruction.keyword == keyword)
            found.append(instruction);
    }
    return found;
}

QStringList Dockerfile::aptPackages(const DockerStage& stage)
{
    static const QRegularExpression commandSeparator(u"&&|;|\\|\\|"_s);
    QStringList packages;
    for (const DockerInstruction& run : find(stage, u"RUN"_s)) {
        for (const QString& command : run.arguments.split(commandSeparator)) {
            const qsizetype install = command.indexOf(u"apt-get install"_s);
            if (install < 0)
                continue;
            const QStringList words = command.mid(install + 15).split(u' ', Qt::SkipEmptyParts);
            for (const QString& word : words) {
                if (!word.startsWith(u'-'))
                    packages.append(word);
            }
        }
    }
    return packages;
}

QHash<QString, QString> Dockerfile::environment(const DockerStage& stage)
{
    QHash<QString, QString> variables;
    for (const DockerInstruction& env : find(stage, u"ENV"_s)) {
        for (const QString& pair : env.arguments.split(u' ', Qt::SkipEmptyParts))
            variables.insert(pair.section(u'=', 0, 0), unquote(pair.section(u'=', 1)));
    }
    return variables;
}

} // namespace packaging
