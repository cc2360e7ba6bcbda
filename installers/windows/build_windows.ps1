# Build the Windows installer: PyInstaller bundle -> self-check -> Inno Setup -> (optional) signing.
#
#   powershell -ExecutionPolicy Bypass -File installers\windows\build_windows.ps1
#
# Needs: Python 3.11 with the project's .venv (python -m venv .venv; .venv\Scripts\pip install -e .),
# Inno Setup 6 (winget install JRSoftware.InnoSetup). Output: dist\FacilitatorFieldKit-Setup-X.Y.Z.exe
#
# Code signing runs only when a certificate is configured (otherwise SmartScreen warns users once):
#   $env:FFK_SIGN_CERT_FILE  = path to a .pfx      $env:FFK_SIGN_CERT_PASSWORD = its password
#   (or $env:FFK_SIGN_CERT_THUMBPRINT for a certificate in the user's store / a hardware token)
$ErrorActionPreference = "Stop"
$Root = Resolve-Path (Join-Path $PSScriptRoot "..\..")
Set-Location $Root
$Py = Join-Path $Root ".venv\Scripts\python.exe"
if (-not (Test-Path $Py)) { throw "No .venv: run 'py -3.11 -m venv .venv; .venv\Scripts\pip install -e .' first" }

# The one version source.
$Version = & $Py -c "import ast,pathlib; t=ast.parse(pathlib.Path('facilitator_app/__init__.py').read_text()); print(next(ast.literal_eval(n.value) for n in t.body if isinstance(n, ast.Assign) and n.targets[0].id == '__version__'))"
Write-Host "Facilitator Field Kit $Version"

& $Py -m pip install --quiet "pyinstaller>=6.10" pillow
& $Py installers\build_icons.py --out build\icons
if ($LASTEXITCODE -ne 0) { throw "icon generation failed" }
& $Py -m PyInstaller --noconfirm --clean build.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

# Prove the bundle works before packaging it (the console twin prints the report).
$env:QT_QPA_PLATFORM = "offscreen"
& dist\facilitator-app\facilitator-app-cli.exe self-check
if ($LASTEXITCODE -ne 0) { throw "the frozen self-check failed" }
Remove-Item Env:\QT_QPA_PLATFORM

function Sign-File($Path) {
    $signtool = Get-Command signtool.exe -ErrorAction SilentlyContinue
    if (-not $signtool) { throw "signtool.exe not found (Windows SDK) but signing was requested" }
    $common = @("sign", "/fd", "SHA256", "/tr", "http://timestamp.digicert.com", "/td", "SHA256")
    if ($env:FFK_SIGN_CERT_FILE) {
        & $signtool.Source @common /f $env:FFK_SIGN_CERT_FILE /p $env:FFK_SIGN_CERT_PASSWORD $Path
    } else {
        & $signtool.Source @common /sha1 $env:FFK_SIGN_CERT_THUMBPRINT $Path
    }
    if ($LASTEXITCODE -ne 0) { throw "signing $Path failed" }
}
$Sign = [bool]($env:FFK_SIGN_CERT_FILE -or $env:FFK_SIGN_CERT_THUMBPRINT)
if ($Sign) {
    Sign-File "dist\facilitator-app\facilitator-app.exe"
    Sign-File "dist\facilitator-app\facilitator-app-cli.exe"
} else {
    Write-Host "No signing certificate configured: building an unsigned installer."
}

$Iscc = @("$env:ProgramFiles(x86)\Inno Setup 6\ISCC.exe", "$env:ProgramFiles\Inno Setup 6\ISCC.exe",
          "$env:LOCALAPPDATA\Programs\Inno Setup 6\ISCC.exe") | Where-Object { Test-Path $_ } | Select-Object -First 1
if (-not $Iscc) { throw "Inno Setup 6 not found: winget install JRSoftware.InnoSetup" }
& $Iscc "/DAppVersion=$Version" installers\windows\facilitator-field-kit.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
$Setup = "dist\FacilitatorFieldKit-Setup-$Version.exe"
if ($Sign) { Sign-File $Setup }
Write-Host "Built $Setup"
