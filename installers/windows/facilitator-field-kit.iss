; Inno Setup script for Facilitator Field Kit (Inno Setup 6.3+).
;
; Build with installers\windows\build_windows.ps1, which builds the PyInstaller bundle first and
; passes the version from facilitator_app\__init__.py (the one source):
;   ISCC.exe /DAppVersion=0.1.0 installers\windows\facilitator-field-kit.iss
;
; Per-user install without admin rights: files go to %LOCALAPPDATA%\Programs\Facilitator Field Kit.
; The facilitator's records are NOT in the install folder: the app keeps them in
; %LOCALAPPDATA%\FacilitatorFieldKit\FacilitatorFieldKit (platformdirs), so an upgrade or an
; uninstall never touches them.

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=X.Y.Z (build_windows.ps1 reads it from facilitator_app\__init__.py)
#endif
#define AppName "Facilitator Field Kit"
#define AppExe "facilitator-app.exe"
#define BundleDir "..\..\dist\facilitator-app"
#define IconFile "..\..\build\icons\facilitator-app.ico"

[Setup]
; Never change AppId: it is how an upgrade finds the installed copy.
AppId={{6F4D2C1B-8E37-4B5A-9C1D-FFA11C17A7E8}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Facilitator Field Kit
VersionInfoVersion={#AppVersion}
; Per user, no UAC prompt. IT staff can still install for all users from the command line (/ALLUSERS).
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=commandline
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=FacilitatorFieldKit-Setup-{#AppVersion}
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; An upgrade closes a running copy first (its drafts are saved continuously, so nothing is lost).
CloseApplications=yes
RestartApplications=no
; Upgrades reuse the previous folder and Start-menu choice.
UsePreviousAppDir=yes
UsePreviousGroup=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; Remove the previous version's program files so no stale library is left behind. Only the
; program folder: the user's records live elsewhere (see the header).
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Practice facilitation records that work offline"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the app may have written next to itself (nothing, normally). Never the data folder.
Type: dirifempty; Name: "{app}"

[Code]
function InitializeUninstall(): Boolean;
begin
  { Say plainly that records stay, so nobody fears losing a year of visit logs. }
  if not UninstallSilent() then
    MsgBox('Your records stay on this computer (in ' + ExpandConstant('{localappdata}') +
           '\FacilitatorFieldKit). Reinstall the app to use them again.', mbInformation, MB_OK);
  Result := True;
end;
