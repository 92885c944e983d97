<#
.SYNOPSIS
Installs a poolmerge release on Windows, then registers the merge driver.

.DESCRIPTION
What install.sh --from does, for Windows with Git for Windows:

  .\install.ps1 -From ARCHIVE [-Sha256 HEX] [-Prefix DIR] [-Repo PATH] [-Hooks] [-Global] [-NoPath]

  -From ARCHIVE  a release archive (poolmerge-VERSION-x86_64-pc-windows-msvc.zip, or
                 the aarch64 one; a file or an http(s) URL), checked against the
                 SHA256SUMS file beside it (or -Sha256 HEX) before anything is installed
  -Sha256 HEX    the archive's SHA-256, where no SHA256SUMS stands beside it
  -Prefix DIR    install poolmerge.exe into DIR\bin (default
                 %LOCALAPPDATA%\Programs\poolmerge)
  -Repo PATH     register the driver there, route the configuration's files (default database/*.py)
  -Hooks         with -Repo: also install the hooks that pin modules only upstream
                 changed (git runs a merge driver only for files both sides changed)
  -Global        register the driver in your global git config (attributes stay per
                 repository: run `poolmerge install` in each fork)
  -NoPath        leave your PATH alone (by default DIR\bin is added to your user PATH:
                 git finds poolmerge's merge strategy there)

The driver and the hooks name the binary by its full path, with forward slashes, as
Git for Windows' sh runs them (C:/Users/Jane Doe/AppData/Local/Programs/poolmerge/...).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)][string]$From,
    [string]$Sha256 = "",
    [string]$Prefix = "",
    [string]$Repo = "",
    [switch]$Hooks,
    [switch]$Global,
    [switch]$NoPath
)
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

function Stop-Install([string]$Message) {
    [Console]::Error.WriteLine("install.ps1: $Message")
    exit 1
}

# Copies a file or downloads a URL to a path; $false when it cannot.
function Get-Source([string]$Source, [string]$Destination) {
    if ($Source -match '^https?://') {
        try {
            Invoke-WebRequest -Uri $Source -OutFile $Destination -UseBasicParsing
        } catch {
            return $false
        }
        return $true
    }
    if (-not (Test-Path -LiteralPath $Source -PathType Leaf)) {
        return $false
    }
    Copy-Item -LiteralPath $Source -Destination $Destination
    return $true
}

if (-not (Get-Command git -ErrorAction SilentlyContinue)) {
    Stop-Install "git is not installed (Git for Windows: https://gitforwindows.org)"
}
if ($Hooks -and -not $Repo) {
    Stop-Install "-Hooks needs -Repo PATH (hooks are per repository)"
}
if ($Repo) {
    if (-not (Test-Path -LiteralPath $Repo -PathType Container)) {
        Stop-Install "$Repo is not a directory"
    }
    $Repo = (Resolve-Path -LiteralPath $Repo).Path
    & git -C $Repo rev-parse --git-dir *> $null
    if ($LASTEXITCODE -ne 0) {
        Stop-Install "$Repo is not a git repository"
    }
}
if (-not $Prefix) {
    $Prefix = Join-Path $env:LOCALAPPDATA "Programs\poolmerge"
}

$tmp = Join-Path ([System.IO.Path]::GetTempPath()) ("poolmerge-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
    $name = ($From -split '[\\/]')[-1]
    $archive = Join-Path $tmp $name
    if (-not (Get-Source $From $archive)) {
        Stop-Install "cannot read $From"
    }
    if (-not $Sha256) {
        $cut = [Math]::Max($From.LastIndexOf('/'), $From.LastIndexOf('\'))
        $beside = if ($cut -ge 0) { $From.Substring(0, $cut) } else { "." }
        $sums = Join-Path $tmp "SHA256SUMS"
        if (-not (Get-Source "$beside/SHA256SUMS" $sums)) {
            Stop-Install "no SHA256SUMS beside ${From}: pass -Sha256 HEX to check the archive"
        }
        foreach ($line in Get-Content -LiteralPath $sums) {
            $fields = $line.Trim() -split '\s+', 2
            if ($fields.Count -eq 2 -and ($fields[1] -eq $name -or $fields[1] -eq "*$name")) {
                $Sha256 = $fields[0]
                break
            }
        }
        if (-not $Sha256) {
            Stop-Install "SHA256SUMS beside $From does not list $name"
        }
    }
    $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $archive).Hash.ToLowerInvariant()
    if ($actual -ne $Sha256.ToLowerInvariant()) {
        Stop-Install "$name does not match its checksum (expected $Sha256, got $actual): not installed"
    }
    $unpacked = Join-Path $tmp "x"
    try {
        Expand-Archive -LiteralPath $archive -DestinationPath $unpacked
    } catch {
        Stop-Install "cannot unpack $name (a Windows release is a .zip)"
    }
    $found = Get-ChildItem -LiteralPath $unpacked -Recurse -File -Filter "poolmerge.exe" |
        Select-Object -First 1
    if (-not $found) {
        Stop-Install "$name holds no poolmerge.exe"
    }
    $bin = Join-Path $Prefix "bin"
    New-Item -ItemType Directory -Force -Path $bin | Out-Null
    $bin = (Resolve-Path -LiteralPath $bin).Path
    $exe = Join-Path $bin "poolmerge.exe"
    # Copied beside and tried before it replaces anything, then moved over: never a
    # half-written binary, nor one of another platform.
    $new = Join-Path $bin "poolmerge.new.exe"
    Copy-Item -LiteralPath $found.FullName -Destination $new -Force
    & $new --version *> $null
    if ($LASTEXITCODE -ne 0) {
        Remove-Item -LiteralPath $new -Force -ErrorAction SilentlyContinue
        Stop-Install "the binary in $name does not run on this machine (another platform's archive?): not installed"
    }
    Move-Item -LiteralPath $new -Destination $exe -Force
} finally {
    Remove-Item -LiteralPath $tmp -Recurse -Force -ErrorAction SilentlyContinue
}
Write-Output "installed $exe"

# git looks for merge strategies (git-merge-poolmerge.exe, which install --hooks puts
# beside poolmerge.exe) on PATH.
if (-not $NoPath) {
    $user = [Environment]::GetEnvironmentVariable("Path", "User")
    $entries = @()
    if ($user) {
        $entries = $user -split ';' | Where-Object { $_ }
    }
    if ($entries -notcontains $bin) {
        [Environment]::SetEnvironmentVariable("Path", (@($entries) + $bin) -join ';', "User")
        Write-Output "PATH: added $bin to your user PATH (new terminals see it)"
    }
    if (($env:Path -split ';') -notcontains $bin) {
        $env:Path = "$env:Path;$bin"
    }
}

if ($Global) {
    & $exe install --global
    if ($LASTEXITCODE -ne 0) {
        Stop-Install "poolmerge install --global failed"
    }
}
if ($Repo) {
    Push-Location -LiteralPath $Repo
    try {
        if ($Hooks) {
            & $exe install --hooks
        } else {
            & $exe install
        }
        $code = $LASTEXITCODE
    } finally {
        Pop-Location
    }
    if ($code -ne 0) {
        Stop-Install "poolmerge install failed in $Repo"
    }
    Write-Output "next: commit .gitattributes in $Repo, so that the route holds in every clone:"
    Write-Output "      git -C `"$Repo`" add .gitattributes; git -C `"$Repo`" commit -m `"Merge with poolmerge`""
    Write-Output "then: git merge upstream/main in $Repo merges database/*.py through poolmerge"
} else {
    Write-Output "next: in your fork, poolmerge install --hooks (driver, route, hooks), then commit .gitattributes"
}
