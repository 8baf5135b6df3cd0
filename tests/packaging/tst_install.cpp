// `cmake --install` into a scratch prefix, and `cpack -G DEB`: the files a desktop and
// a Debian system expect, valid as their own validators see them, and a binary that
// starts from where it was installed.

#include "packagingsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

using namespace Qt::StringLiterals;
using namespace packaging;

namespace {

const QString sourceDir = QStringLiteral(AIMLOAD_SOURCE_DIR);
const QString buildDir = QStringLiteral(AIMLOAD_BUILD_DIR);
const QString projectVersion = QStringLiteral(AIMLOAD_PROJECT_VERSION);
const QString cmake = QStringLiteral(AIMLOAD_CMAKE_COMMAND);
const QString cpack = QStringLiteral(AIMLOAD_CPACK_COMMAND);
const QString appId = u"org.aimload.aimload"_s;

// Width and height from a PNG's IHDR chunk, or 0x0 when the file is no PNG.
QSize pngSize(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray head = file.read(24);
    if (head.size() < 24 || !head.startsWith("\x89PNG\r\n\x1a\n") || head.mid(12, 4) != "IHDR")
        return {};
    return QSize(qFromBigEndian<quint32>(head.constData() + 16),
        qFromBigEndian<quint32>(head.constData() + 20));
}

QByteArray fileContents(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class InstallTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void installsBinaryAndPromptPool();
    void installsIcons_data();
    void installsIcons();
    void iconsAreRenderedFromTheCurrentSvg();
    void desktopEntryIsValid();
    void metainfoIsValid();
    void installedBinaryPrintsTheProjectVersion();
    void installedBinaryRunsHeadless();
    void debianPackage();

private:
    QString installed(const QString& relative) const { return m_prefix.filePath(relative); }

    QTemporaryDir m_prefix;
};

void InstallTest::initTestCase()
{
    QVERIFY(m_prefix.isValid());
    const ProcessResult result
        = run(cmake, {u"--install"_s, buildDir, u"--prefix"_s, m_prefix.path()});
    QVERIFY2(result.ok(), qPrintable(result.describe()));
}

void InstallTest::installsBinaryAndPromptPool()
{
    QVERIFY(QFileInfo(installed(u"bin/aimload"_s)).isExecutable());
    const QByteArray pool = fileContents(installed(u"share/aimload/prompts/default.json"_s));
    QVERIFY(!pool.isEmpty());
    QCOMPARE(pool, fileContents(sourceDir + u"/prompts/default.json"_s));
}

void InstallTest::installsIcons_data()
{
    QTest::addColumn<int>("size");
    for (const int size : {16, 24, 32, 48, 64, 128, 256})
        QTest::addRow("%dpx", size) << size;
}

void InstallTest::installsIcons()
{
    QFETCH(int, size);
    const QString path = installed(u"share/icons/hicolor/%1x%1/apps/%2.png"_s.arg(size).arg(appId));
    QCOMPARE(pngSize(path), QSize(size, size));
    const QByteArray svg
        = fileContents(installed(u"share/icons/hicolor/scalable/apps/"_s + appId + u".svg"_s));
    QVERIFY(svg.contains("<svg"));
}

void InstallTest::iconsAreRenderedFromTheCurrentSvg()
{
    const QByteArray recorded
        = fileContents(sourceDir + u"/packaging/desktop/icons/source.sha256"_s).left(64);
    const QByteArray current = QCryptographicHash::hash(
        fileContents(sourceDir + u"/resources/icons/aimload.svg"_s), QCryptographicHash::Sha256)
                                   .toHex();
    QVERIFY2(recorded == current,
        "resources/icons/aimload.svg changed since the PNGs were rendered: run "
        "packaging/desktop/render-icons.sh and commit its output");
}

void InstallTest::desktopEntryIsValid()
{
    const QString path = installed(u"share/applications/"_s + appId + u".desktop"_s);
    const QString entry = QString::fromUtf8(fileContents(path));
    QVERIFY2(entry.contains(u"\nExec=aimload\n"_s), qPrintable(entry));
    QVERIFY2(entry.contains(u"\nIcon="_s + appId + u'\n'), qPrintable(entry));

    const QString validator = QStandardPaths::findExecutable(u"desktop-file-validate"_s);
    if (validator.isEmpty())
        QSKIP("desktop-file-validate is not installed (Debian: desktop-file-utils)");
    const ProcessResult result = run(validator, {path});
    QVERIFY2(result.ok() && result.out.isEmpty(), qPrintable(result.describe()));
}

void InstallTest::metainfoIsValid()
{
    const QString path = installed(u"share/metainfo/"_s + appId + u".metainfo.xml"_s);
    const QString metainfo = QString::fromUtf8(fileContents(path));
    QVERIFY2(metainfo.contains(u"<id>"_s + appId + u"</id>"_s), qPrintable(metainfo));
    QVERIFY(metainfo.contains(u">"_s + appId + u".desktop</launchable>"_s));

    const QString validator = QStandardPaths::findExecutable(u"appstreamcli"_s);
    if (validator.isEmpty())
        QSKIP("appstreamcli is not installed (Debian: appstream)");
    const ProcessResult result = run(validator, {u"validate"_s, u"--no-net"_s, path});
    QVERIFY2(result.ok(), qPrintable(result.describe()));
}

void InstallTest::installedBinaryPrintsTheProjectVersion()
{
    const ProcessResult result = run(installed(u"bin/aimload"_s), {u"--version"_s});
    QVERIFY2(result.ok(), qPrintable(result.describe()));
    QCOMPARE(QString::fromUtf8(result.out).trimmed(), u"aimload "_s + projectVersion);
}

void InstallTest::installedBinaryRunsHeadless()
{
    const QStringList arguments {u"--headless"_s, u"--simulate"_s, u"--sim-speed"_s, u"1000"_s,
        u"--cycles"_s, u"1"_s, u"--no-db"_s};
    const ProcessResult result
        = run(installed(u"bin/aimload"_s), arguments, bareEnvironment(m_prefix.path()));
    QVERIFY2(result.ok(), qPrintable(result.describe()));
    QVERIFY(result.out.contains("Run ended: cycle limit reached"));
}

void InstallTest::debianPackage()
{
    for (const QString& tool : {u"dpkg-deb"_s, u"dpkg-shlibdeps"_s}) {
        if (QStandardPaths::findExecutable(tool).isEmpty())
            QSKIP(qPrintable(tool + u" is not installed (Debian: dpkg-dev)"_s));
    }
    QTemporaryDir output;
    const ProcessResult packed = run(cpack,
        {u"-G"_s, u"DEB"_s, u"--config"_s, buildDir + u"/CPackConfig.cmake"_s, u"-B"_s,
            output.path()},
        QProcessEnvironment::systemEnvironment(), 120000);
    QVERIFY2(packed.ok(), qPrintable(packed.describe()));
    const QStringList debs = QDir(output.path()).entryList({u"*.deb"_s}, QDir::Files);
    QCOMPARE(debs.size(), 1);
    const QString deb = output.filePath(debs.first());

    const ProcessResult fields = run(u"dpkg-deb"_s,
        {u"--show"_s, u"--showformat=${Package}\\n${Version}\\n${Depends}\\n"_s, deb});
    QVERIFY2(fields.ok(), qPrintable(fields.describe()));
    const QStringList lines = QString::fromUtf8(fields.out).split(u'\n');
    QCOMPARE(lines.value(0), u"aimload"_s);
    QCOMPARE(lines.value(1), projectVersion);
    // dpkg-shlibdeps found the Qt libraries; the plugins come from the explicit list.
    for (const QString& package : {u"libqt6core6"_s, u"libqt6network6"_s, u"libqt6sql6-sqlite"_s})
        QVERIFY2(lines.value(2).contains(package), qPrintable(lines.value(2)));

    const ProcessResult contents = run(u"dpkg-deb"_s, {u"--contents"_s, deb});
    QVERIFY2(contents.ok(), qPrintable(contents.describe()));
    for (const QString& file :
        {u"./usr/bin/aimload"_s, u"./usr/share/aimload/prompts/default.json"_s,
            u"./usr/share/applications/org.aimload.aimload.desktop"_s,
            u"./usr/share/metainfo/org.aimload.aimload.metainfo.xml"_s,
            u"./usr/share/icons/hicolor/scalable/apps/org.aimload.aimload.svg"_s}) {
        QVERIFY2(contents.out.contains(QByteArray(" " + file.toUtf8() + "\n")), qPrintable(file));
    }
}

QTEST_GUILESS_MAIN(InstallTest)
#include "tst_install.moc"
