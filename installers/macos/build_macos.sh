#!/usr/bin/env bash
# Build "Facilitator Field Kit.app" with build.spec and wrap it in a .dmg; sign and notarize only
# when credentials are present in the environment.
#
#   installers/macos/build_macos.sh            # -> dist/FacilitatorFieldKit-X.Y.Z.dmg
#
# Needs: macOS 11+, Xcode command line tools (hdiutil, codesign, xcrun), the project's .venv.
#
# Signing (Developer ID Application certificate in the login keychain):
#   FFK_MACOS_SIGN_IDENTITY="Developer ID Application: Cooperative Name (TEAMID)"
# Notarization (after signing), either a stored notarytool profile:
#   FFK_MACOS_NOTARY_PROFILE=ffk     # created once: xcrun notarytool store-credentials ffk --apple-id ... --team-id ...
# or an app-specific password:
#   FFK_MACOS_APPLE_ID=you@example.org FFK_MACOS_TEAM_ID=TEAMID FFK_MACOS_APP_PASSWORD=xxxx-xxxx-xxxx-xxxx
# Without these, the .dmg is unsigned: users must right-click > Open the first time (docs/install.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
PY="$ROOT/.venv/bin/python"
APP_NAME="Facilitator Field Kit"
APP="dist/$APP_NAME.app"
[ -x "$PY" ] || { echo "No .venv: run 'python3.11 -m venv .venv && .venv/bin/pip install -e .' first" >&2; exit 1; }

VERSION="$("$PY" -c "import ast,pathlib; t=ast.parse(pathlib.Path('facilitator_app/__init__.py').read_text()); print(next(ast.literal_eval(n.value) for n in t.body if isinstance(n, ast.Assign) and n.targets[0].id == '__version__'))")"
DMG="dist/FacilitatorFieldKit-$VERSION.dmg"
echo "Facilitator Field Kit $VERSION"

"$PY" -m pip install --quiet "pyinstaller>=6.10" pillow
"$PY" installers/build_icons.py --out build/icons
"$PY" -m PyInstaller --noconfirm --clean build.spec

# Prove the bundle works before shipping it.
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/facilitator-app" self-check

if [ -n "${FFK_MACOS_SIGN_IDENTITY:-}" ]; then
    echo "Signing with: $FFK_MACOS_SIGN_IDENTITY"
    # Sign every Mach-O inside first (deepest first), then the app; hardened runtime for notarization.
    find "$APP/Contents" -type f \( -name "*.so" -o -name "*.dylib" -o -perm -u+x \) -print0 |
        while IFS= read -r -d '' f; do
            if file "$f" | grep -q "Mach-O"; then
                codesign --force --timestamp --options runtime --entitlements installers/macos/entitlements.plist \
                         --sign "$FFK_MACOS_SIGN_IDENTITY" "$f"
            fi
        done
    codesign --force --timestamp --options runtime --entitlements installers/macos/entitlements.plist \
             --sign "$FFK_MACOS_SIGN_IDENTITY" "$APP"
    codesign --verify --deep --strict --verbose=2 "$APP"
else
    echo "FFK_MACOS_SIGN_IDENTITY not set: the app and .dmg stay unsigned."
fi

# The disk image: the app and a link to /Applications to drag it onto.
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "$APP_NAME" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"

if [ -n "${FFK_MACOS_SIGN_IDENTITY:-}" ]; then
    codesign --force --timestamp --sign "$FFK_MACOS_SIGN_IDENTITY" "$DMG"
    if [ -n "${FFK_MACOS_NOTARY_PROFILE:-}" ]; then
        xcrun notarytool submit "$DMG" --keychain-profile "$FFK_MACOS_NOTARY_PROFILE" --wait
    elif [ -n "${FFK_MACOS_APPLE_ID:-}" ] && [ -n "${FFK_MACOS_TEAM_ID:-}" ] && [ -n "${FFK_MACOS_APP_PASSWORD:-}" ]; then
        xcrun notarytool submit "$DMG" --apple-id "$FFK_MACOS_APPLE_ID" --team-id "$FFK_MACOS_TEAM_ID" \
              --password "$FFK_MACOS_APP_PASSWORD" --wait
    else
        echo "No notarization credentials: signed but not notarized (Gatekeeper will warn once)."
        echo "Built $DMG"; exit 0
    fi
    xcrun stapler staple "$DMG"
    spctl --assess --type open --context context:primary-signature --verbose "$DMG"
fi
echo "Built $DMG"
