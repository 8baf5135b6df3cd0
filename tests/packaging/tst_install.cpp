// `cmake --install` into a scratch prefix, and `cpack -G DEB`: the files a desktop and
// a Debian system expect, valid as their own validators see them, a binary that starts
// from where it was installed and links no GUI library, and the window module it loads
// from there.

#include "packagingsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QProcess>
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
const QString builtBinary = QStringLiteral(AIMLOAD_BINARY);
const QString appId = u"org.aimload.aimload"_s;
// The build has the window (AIMLOAD_WINDOW), which installs as a module under the
// library directory.
constexpr bool withWindow = AIMLOAD_WITH_WINDOW;
const QString windowModule
    = QStringLiteral(AIMLOAD_INSTALL_LIBDIR) + u"/aimload/aimload-window.so"_s;
const QString noWindowReason = u"this build leaves the window out (AIMLOAD_WINDOW=OFF)"_s;

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

// Libraries only the window needs: Qt's GUI modules and what they bring (OpenGL, X11, fonts).
const QRegularExpression guiLibrary(
    u"^\\s*(lib(?:Qt6(?:Gui|Widgets|Charts|OpenGL\\w*)|GL\\w*|EGL|X11|xcb|fontconfig|freetype|"
    "harfbuzz)\\.so\\S*)"_s,
    QRegularExpression::MultilineOption);

} // namespace

class InstallTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void installsBinaryAndPromptPool();
    void binaryLinksNoGuiLibrary_data();
    void binaryLinksNoGuiLibrary();
    void installsTheWindowModule();
    void installsIcons_data();
    void installsIcons();
    void iconsAreRenderedFromTheCurrentSvg();
    void desktopEntryIsValid();
    void metainfoIsValid();
    void installedBinaryPrintsTheProjectVersion();
    void installedBinaryRunsHeadless();
    void installedBinaryOpensTheWindow();
    void windowWithoutTheModuleIsOneLine();
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

void InstallTest::binaryLinksNoGuiLibrary_data()
{
    QTest::addColumn<QString>("binary");
    QTest::newRow("built") << builtBinary;
    QTest::newRow("installed") << installed(u"bin/aimload"_s);
}

// Headless mode must not map the window's libraries: they are most of its resident size.
void InstallTest::binaryLinksNoGuiLibrary()
{
    QFETCH(QString, binary);
    const ProcessResult result = run(u"ldd"_s, {binary});
    QVERIFY2(result.ok(), qPrintable(result.describe()));
    const QString libraries = QString::fromUtf8(result.out);
    QVERIFY2(!libraries.contains(u"not found"_s), qPrintable(libraries));
    QVERIFY2(libraries.contains(u"libQt6Core.so"_s), qPrintable(libraries));
    const QRegularExpressionMatch match = guiLibrary.match(libraries);
    QVERIFY2(!match.hasMatch(), qPrintable(binary + u" links "_s + match.captured(1)));
}

void InstallTest::installsTheWindowModule()
{
    const QString module = installed(windowModule);
    if (!withWindow) {
        QVERIFY2(!QFileInfo::exists(module), qPrintable(module));
        QSKIP(qPrintable(noWindowReason));
    }
    QVERIFY2(QFileInfo(module).isFile(), qPrintable(module + u" is missing"_s));
    const ProcessResult result = run(u"ldd"_s, {module});
    QVERIFY2(result.ok(), qPrintable(result.describe()));
    const QString libraries = QString::fromUtf8(result.out);
    QVERIFY2(!libraries.contains(u"not found"_s), qPrintable(libraries));
    QVERIFY2(libraries.contains(u"libQt6Widgets.so"_s), qPrintable(libraries));
}

void InstallTest::installsIcons_data()
{
    QTest::addColumn<int>("size");
    for (const int size : {16, 24, 32, 48, 64, 128, 256})
        QTest::addRow("%dpx", size) << size;
}

void InstallTest::installsIcons()
{
    if (!withWindow)
        QSKIP(qPrintable(noWindowReason));
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
    if (!withWindow)
        QSKIP(qPrintable(noWindowReason));
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
    if (!withWindow)
        QSKIP(qPrintable(noWindowReason));
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

// The installed binary finds the installed module and opens the window: on the offscreen
// platform nothing is seen, but the run the window starts at launch serves /healthz.
void InstallTest::installedBinaryOpensTheWindow()
{
    if (!withWindow)
        QSKIP(qPrintable(noWindowReason));
    QTemporaryDir home;
    QVERIFY(home.isValid());
    const quint16 port = freeTcpPort();
    QVERIFY(port != 0);
    QProcessEnvironment environment = bareEnvironment(home.path());
    environment.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);

    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(installed(u"bin/aimload"_s),
        {u"--simulate"_s, u"--sim-speed"_s, u"1000"_s, u"--no-db"_s, u"--web-host"_s,
            u"127.0.0.1"_s, u"--web-port"_s, QString::number(port)});
    QVERIFY2(process.waitForStarted(5000), qPrintable(process.errorString()));
    const bool healthy = waitForHttpOk(port, "/healthz", 20000);
    const QByteArray maps
        = fileContents(u"/proc/%1/maps"_s.arg(process.processId())).replace('\n', ' ');
    process.kill();
    process.waitForFinished(5000);
    const QString output
        = QString::fromUtf8(process.readAllStandardOutput() + process.readAllStandardError());
    QVERIFY2(healthy, qPrintable(u"the window's run never answered /healthz:\n"_s + output));
    const QString module = QFileInfo(installed(windowModule)).canonicalFilePath();
    QVERIFY2(maps.contains(QByteArray(' ' + module.toUtf8() + ' ')),
        qPrintable(module + u" is not mapped:\n"_s + output));
}

// Without the module (moved away, or a build without the window) the window path ends
// with one line that points at --headless.
void InstallTest::windowWithoutTheModuleIsOneLine()
{
    QTemporaryDir scratch;
    QVERIFY(scratch.isValid());
    QVERIFY(QDir(scratch.path()).mkpath(u"bin"_s));
    const QString lone = scratch.filePath(u"bin/aimload"_s);
    QVERIFY(QFile::copy(installed(u"bin/aimload"_s), lone));
    QProcessEnvironment environment = bareEnvironment(scratch.path());
    environment.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);

    const ProcessResult result
        = run(lone, {u"--host"_s, u"http://127.0.0.1:9"_s, u"--no-db"_s}, environment, 10000);
    QVERIFY2(result.finished && result.exitCode == 2, qPrintable(result.describe()));
    QVERIFY(result.out.isEmpty());
    const QString error = QString::fromUtf8(result.err);
    QCOMPARE(error.count(u'\n'), 1);
    QVERIFY2(
        error.startsWith(u"aimload: the desktop window is not installed ("_s), qPrintable(error));
    QVERIFY2(
        error.contains(scratch.filePath(u"lib/aimload/aimload-window.so"_s)), qPrintable(error));
    QVERIFY2(error.contains(u"run with --headless"_s), qPrintable(error));
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
    // dpkg-shlibdeps found the Qt libraries of the binary and of the window module; the
    // plugins come from the explicit list.
    const QString depends = lines.value(2);
    for (const QString& package : {u"libqt6core6"_s, u"libqt6network6"_s, u"libqt6sql6-sqlite"_s})
        QVERIFY2(depends.contains(package), qPrintable(depends));
    for (const QString& package : {u"libqt6widgets6"_s, u"libqt6charts6"_s, u"libqt6svg6"_s})
        QVERIFY2(depends.contains(package) == withWindow, qPrintable(depends));

    const ProcessResult contents = run(u"dpkg-deb"_s, {u"--contents"_s, deb});
    QVERIFY2(contents.ok(), qPrintable(contents.describe()));
    QStringList files {u"./usr/bin/aimload"_s, u"./usr/share/aimload/prompts/default.json"_s};
    const QStringList windowFiles {u"./usr/"_s + windowModule,
        u"./usr/share/applications/org.aimload.aimload.desktop"_s,
        u"./usr/share/metainfo/org.aimload.aimload.metainfo.xml"_s,
        u"./usr/share/icons/hicolor/scalable/apps/org.aimload.aimload.svg"_s};
    for (const QString& file : files)
        QVERIFY2(contents.out.contains(QByteArray(" " + file.toUtf8() + "\n")), qPrintable(file));
    for (const QString& file : windowFiles) {
        QVERIFY2(contents.out.contains(QByteArray(" " + file.toUtf8() + "\n")) == withWindow,
            qPrintable(file));
    }
}

QTEST_GUILESS_MAIN(InstallTest)
#include "tst_install.moc"
