#pragma once

#include <QHash>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

namespace packaging {

struct LinkedLibrary
{
    QString soname; // "libQt6Core.so.6"
    QString path; // as ldd resolved it
};

// The packages installed on this Debian machine and what they depend on, read from
// dpkg's database, to tell which package brings which shared library into an image.
class DebianPackages
{
public:
    bool load(QString* error);

    // The package that owns each path, as `dpkg -S` tells (merged /usr taken into
    // account). Paths that no package owns are left out.
    static QHash<QString, QString> owners(const QStringList& paths, QString* error);
    // Every library the dynamic loader maps for binary, by `ldd`.
    static QList<LinkedLibrary> linkedLibraries(const QString& binary, QString* error);
    // The sonames the binary itself names (DT_NEEDED), by `readelf -d`.
    static QStringList neededLibraries(const QString& binary, QString* error);

    // The packages apt installs for roots: the roots and, recursively, what they
    // depend on (every installed alternative of an "a | b" dependency, and the
    // installed providers of virtual packages).
    QSet<QString> closure(const QStringList& roots) const;

private:
    QHash<QString, QStringList> m_dependencies; // package -> names it depends on
    QHash<QString, QStringList> m_providers; // virtual name -> installed packages
};

} // namespace packaging
