/* bcryptprimitives.dll for wine 8, which lacks it: Rust's std (1.78 and newer) imports
 * ProcessPrng from it on Windows. This forwards to advapi32's SystemFunction036
 * (RtlGenRandom), which wine has. Used only to run the Windows build under wine. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
