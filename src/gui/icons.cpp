#include "icons.h"

#include <QApplication>
#include <QImageReader>
#include <QStyle>

using namespace Qt::StringLiterals;

// Q_INIT_RESOURCE declares the rcc-generated function in the scope it is used in, and
// that function lives in the global namespace.
static void initIconResources()
{
    Q_INIT_RESOURCE(aimload_icons);
}

namespace aimload::Icons {

namespace {

bool svgReadable()
{
    static const bool readable = QImageReader::supportedImageFormats().contains("svg");
    return readable;
}

QIcon ownIcon(const QString& name, QStyle::StandardPixmap standIn)
{
    static const bool initialized = (initIconResources(), true);
    Q_UNUSED(initialized);
    if (svgReadable())
        return QIcon(u":/icons/%1.svg"_s.arg(name));
    return QApplication::style()->standardIcon(standIn);
}

QIcon themed(const QString& themeName, const QString& ownName, QStyle::StandardPixmap standIn)
{
    return QIcon::fromTheme(themeName, ownIcon(ownName, standIn));
}

} // namespace

QIcon application()
{
    return ownIcon(u"aimload"_s, QStyle::SP_ComputerIcon);
}

QIcon start()
{
    return themed(u"media-playback-start"_s, u"start"_s, QStyle::SP_MediaPlay);
}

QIcon stop()
{
    return themed(u"media-playback-stop"_s, u"stop"_s, QStyle::SP_MediaStop);
}

QIcon triggerNow()
{
    return themed(u"media-skip-forward"_s, u"trigger"_s, QStyle::SP_MediaSkipForward);
}

QIcon settings()
{
    return themed(u"configure"_s, u"settings"_s, QStyle::SP_FileDialogDetailedView);
}

QIcon clear()
{
    return themed(u"edit-clear-history"_s, u"clear"_s, QStyle::SP_DialogResetButton);
}

} // namespace aimload::Icons
