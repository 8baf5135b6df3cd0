#include "debianpackages.h"

#include "packagingsupport.h"

#include <QFileInfo>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace packaging {

namespace {

// "libfoo1 (>= 2), libbar:any | libbaz" -> libfoo1, libbar, libbaz
QStringList dependencyNames(const QString& field)
{
    static const QRegularExpression separator(u"[,|]"_s);
    QStringList names;
    for (const QString& item : field.split(separator, Qt::SkipEmptyParts)) {
        const QString name = item.trimmed().section(u' ', 0, 0).section(u':', 0, 0);
        if (!name.isEmpty())
            names.append(name);
    }
    return names;
}

// dpkg records a library under the directory its package installs it to, which with a
// merged /usr may be /lib or /usr/lib whatever ldd printed.
QStringList spellings(const QString& path)
{
    QStringList candidates;
    const QString canonical = QFileInfo(path).canonicalFilePath();
    for (const QString& candidate : {path, canonical}) {
        if (candidate.isEmpty())
            continue;
        candidates.append(candidate);
        candidates.append(
            candidate.startsWith(u"/usr/"_s) ? candidate.mid(4) : u"/usr"_s + candidate);
    }
    candidates.removeDuplicates();
    return candidates;
}

} // namespace

bool DebianPackages::load(QString* error)
{
    static const QString format = u"-f=${db:Status-Abbrev}\\t${Package}\\t"
                                  "${Depends}, ${Pre-Depends}\\t${Provides}\\n"_s;
    const ProcessResult result = run(u"dpkg-query"_s, {u"-W"_s, format});
    if (!result.ok()) {
        *error = u"dpkg-query failed: "_s + result.describe();
        return false;
    }

    for (const QString& line : QString::fromUtf8(result.out).split(u'\n', Qt::SkipEmptyParts)) {
        const QStringList fields = line.split(u'\t');
        if (fields.size() < 4 || !fields.at(0).startsWith(u"ii"))
            continue;
        const QString package = fields.at(1);
        m_dependencies[package] += dependencyNames(fields.at(2));
        for (const QString& provided : dependencyNames(fields.at(3)))
            m_providers[provided].append(package);
    }
    return true;
}

QHash<QString, QString> DebianPackages::owners(const QStringList& paths, QString* error)
{
    QStringList candidates;
    for (const QString& path : paths)
        candidates += spellings(path);
    candidates.removeDuplicates();

    // Exit code 1 only says that some spellings are unknown, which is expected.
    const ProcessResult result = run(u"dpkg"_s, QStringList {u"-S"_s} + candidates);
    if (!result.finished || (result.exitCode != 0 && result.exitCode != 1)) {
        *error = u"dpkg -S failed: "_s + result.describe();
        return {};
    }
    QHash<QString, QString> ownerOfSpelling;
    for (const QString& line : QString::fromUtf8(result.out).split(u'\n', Qt::SkipEmptyParts)) {
        const qsizetype separator = line.indexOf(u": /"_s);
        if (separator < 0 || line.startsWith(u"diversion by"_s))
            continue;
        const QString package = line.left(separator).section(u',', 0, 0).section(u':', 0, 0);
        ownerOfSpelling.insert(line.mid(separator + 2), package.trimmed());
    }

    QHash<QString, QString> owners;
    for (const QString& path : paths) {
        for (const QString& spelling : spellings(path)) {
            if (ownerOfSpelling.contains(spelling)) {
                owners.insert(path, ownerOfSpelling.value(spelling));
                break;
            }
        }
    }
    return owners;
}

QList<LinkedLibrary> DebianPackages::linkedLibraries(const QString& binary, QString* error)
{
    const ProcessResult result = run(u"ldd"_s, {binary});
    if (!result.ok()) {
        *error = u"ldd %1 failed: %2"_s.arg(binary, result.describe());
        return {};
    }

    // "\tlibQt6Core.so.6 => /lib/x86_64-linux-gnu/libQt6Core.so.6 (0x...)" and
    // "\t/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no file.
    static const QRegularExpression mapped(u"^\\s*(\\S+)\\s+=>\\s+(\\S+)\\s+\\(0x"_s);
    static const QRegularExpression direct(u"^\\s*(/\\S+)\\s+\\(0x"_s);
    QList<LinkedLibrary> libraries;
    for (const QString& line : QString::fromUtf8(result.out).split(u'\n', Qt::SkipEmptyParts)) {
        if (line.contains(u"not found"_s)) {
            *error = u"ldd %1: %2"_s.arg(binary, line.trimmed());
            return {};
        }
        if (const QRegularExpressionMatch match = mapped.match(line); match.hasMatch())
            libraries.append({match.captured(1), match.captured(2)});
        else if (const QRegularExpressionMatch match = direct.match(line); match.hasMatch())
            libraries.append({QFileInfo(match.captured(1)).fileName(), match.captured(1)});
    }
    return libraries;
}

QStringList DebianPackages::neededLibraries(const QString& binary, QString* error)
{
    const ProcessResult result = run(u"readelf"_s, {u"-d"_s, binary});
    if (!result.ok()) {
        *error = u"readelf -d %1 failed: %2"_s.arg(binary, result.describe());
        return {};
    }
    static const QRegularExpression needed(u"\\(NEEDED\\)\\s+Shared library: \\[([^\\]]+)\\]"_s);
    QStringList sonames;
    for (const QRegularExpressionMatch& match : needed.globalMatch(QString::fromUtf8(result.out)))
        sonames.append(match.captured(1));
    return sonames;
}

QSet<QString> DebianPackages::closure(const QStringList& roots) const
{
    QSet<QString> reached;
    QStringList pending = roots;
    while (!pending.isEmpty()) {
        const QString name = pending.takeLast();
        if (reached.contains(name))
            continue;
        reached.insert(name);
        pending += m_dependencies.value(name);
        pending += m_providers.value(name);
    }
    return reached;
}

} // namespace packaging
