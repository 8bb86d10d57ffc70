#!/usr/bin/env escript
%%! +S 2:2
%% Erlang/OTP baseline for luabox's process benchmarks.
%%
%%   escript scripts/bench/processes.erl [ROUND_TRIPS] [SPAWNS] [IDLE]
%%
%% Defaults: 200000 round trips, 100000 spawns, 10000 idle processes.
%% The VM runs with 2 schedulers (+S 2:2, line above) to match luabox's 2 cores.
%% Prints exactly four lines (integers), see scripts/bench/README.md:
%%   pingpong_round_trips_per_s N
%%   spawn_exit_per_s N
%%   idle_bytes_per_process N        (OS RSS delta / IDLE)
%%   idle_heap_bytes_per_process N   (erlang:memory(processes) delta / IDLE)
-module(processes).
-mode(compile).
-export([main/1]).

-define(DEF_ROUND_TRIPS, 200000).
-define(DEF_SPAWNS, 100000).
-define(DEF_IDLE, 10000).
%% Timed sections are repeated and the median is reported, after one untimed
%% warm-up pass (code loading, allocator carriers). Each pass runs in fresh
%% processes after a short pause that lets both schedulers go idle: with 2
%% schedulers where the processes land (one scheduler or both) decides the
%% speed and sticks for a while, so passes in one row share their luck.
-define(REPS, 11).
-define(PAUSE_MS, 20).

main(Args) ->
    [RoundTrips, Spawns, Idle] = parse_args(Args),
    %% Idle memory first: a fresh VM whose allocators have not yet been
    %% grown (and kept grown) by the spawn benchmark gives the honest RSS delta.
    {IdleRss, IdleHeap} = in_fresh_process(fun() -> idle_memory(Idle) end),
    PingPong = repeat(fun() -> pingpong_once(RoundTrips) end, [],
                      fun() -> pingpong_once(min(RoundTrips, 20000)) end),
    %% The spawner's mailbox fills with up to SPAWNS 'DOWN' messages; kept
    %% on its heap they make the timing mostly garbage-collection noise
    %% (2-5x run-to-run swings), so it keeps its queue off-heap, as Erlang
    %% advises for processes that receive many messages. The warm-up is
    %% full-size: the first pass at a new size grows the allocators' carriers
    %% and runs up to 2x slower than the ones after it.
    SpawnExit = repeat(fun() -> spawn_exit_once(Spawns) end,
                       [{message_queue_data, off_heap}],
                       fun() -> spawn_exit_once(Spawns) end),
    io:format("pingpong_round_trips_per_s ~B~n", [PingPong]),
    io:format("spawn_exit_per_s ~B~n", [SpawnExit]),
    io:format("idle_bytes_per_process ~B~n", [IdleRss]),
    io:format("idle_heap_bytes_per_process ~B~n", [IdleHeap]),
    ok.

%% Warm up once, then the median of ?REPS passes, each in a fresh process.
repeat(Pass, Opts, WarmUp) ->
    _ = in_fresh_process(WarmUp, Opts),
    median([begin
                timer:sleep(?PAUSE_MS),
                in_fresh_process(Pass, Opts)
            end || _ <- lists:seq(1, ?REPS)]).

parse_args(Args) ->
    Defaults = [?DEF_ROUND_TRIPS, ?DEF_SPAWNS, ?DEF_IDLE],
    Given = [to_count(A) || A <- Args],
    case length(Given) =< 3 andalso lists:all(fun is_integer/1, Given) of
        true -> Given ++ lists:nthtail(length(Given), Defaults);
        false ->
            io:format(standard_error,
                      "usage: escript processes.erl [ROUND_TRIPS] [SPAWNS] [IDLE]~n", []),
            halt(2)
    end.

to_count(A) ->
    try list_to_integer(A) of
        N when N > 0 -> N;
        _ -> bad
    catch error:badarg -> bad
    end.

%% Run F in a new process (clean mailbox and heap) and return its result.
in_fresh_process(F) -> in_fresh_process(F, []).

in_fresh_process(F, Opts) ->
    {Pid, Ref} = spawn_opt(fun() -> exit({result, F()}) end, [monitor | Opts]),
    receive
        {'DOWN', Ref, process, Pid, {result, R}} -> R;
        {'DOWN', Ref, process, Pid, Other} ->
            io:format(standard_error, "benchmark failed: ~p~n", [Other]),
            halt(1)
    end.

now_ns() -> erlang:monotonic_time(nanosecond).

per_second(Count, Ns) -> round(Count * 1.0e9 / max(Ns, 1)).

median(L) -> lists:nth((length(L) + 1) div 2, lists:sort(L)).

%% ---------------------------------------------------------------- ping-pong

%% The calling process is the client; a fresh ponger per pass.
pingpong_once(RoundTrips) ->
    Ponger = spawn(fun ponger/0),
    T0 = now_ns(),
    ping(Ponger, 1, RoundTrips),
    Rate = per_second(RoundTrips, now_ns() - T0),
    exit(Ponger, kill),
    Rate.

ponger() ->
    receive
        {ping, From, N} ->
            From ! {pong, N},
            ponger()
    end.

ping(_Ponger, N, Max) when N > Max -> ok;
ping(Ponger, N, Max) ->
    Ponger ! {ping, self(), N},
    receive
        {pong, N} -> ping(Ponger, N + 1, Max)
    end.

%% ---------------------------------------------------------------- spawn+exit

%% Time from the first spawn to the last 'DOWN' received.
spawn_exit_once(Spawns) ->
    T0 = now_ns(),
    spawn_n(Spawns),
    await_down(Spawns),
    per_second(Spawns, now_ns() - T0).

spawn_n(0) -> ok;
spawn_n(K) ->
    _ = spawn_monitor(fun() -> ok end),
    spawn_n(K - 1).

%% Any 'DOWN' will do (matching each ref would make the receive quadratic).
await_down(0) -> ok;
await_down(K) ->
    receive
        {'DOWN', _, process, _, _} -> await_down(K - 1)
    end.

%% ---------------------------------------------------------------- idle memory

idle_memory(Idle) ->
    settle(),
    Self0 = self_memory(),
    Heap0 = erlang:memory(processes),
    Rss0 = vm_rss_bytes(),
    Pids = [spawn(fun idle/0) || _ <- lists:seq(1, Idle)],
    lists:foreach(fun wait_blocked/1, Pids),
    erlang:garbage_collect(),
    %% This process's own growth (the list of pids) is not the idle
    %% processes' cost: take it off both figures.
    Own = self_memory() - Self0,
    Heap1 = erlang:memory(processes),
    Rss1 = vm_rss_bytes(),
    lists:foreach(fun(P) -> P ! stop end, Pids),
    {round((Rss1 - Rss0 - Own) / Idle), round((Heap1 - Heap0 - Own) / Idle)}.

self_memory() ->
    {memory, M} = erlang:process_info(self(), memory),
    M.

idle() ->
    receive
        stop -> ok
    end.

%% Wait until the process sits in its receive (status 'waiting').
wait_blocked(Pid) ->
    case erlang:process_info(Pid, status) of
        {status, waiting} -> ok;
        _ -> erlang:yield(), wait_blocked(Pid)
    end.

settle() ->
    [erlang:garbage_collect(P) || P <- erlang:processes()],
    timer:sleep(100).

vm_rss_bytes() ->
    {ok, Bin} = file:read_file("/proc/" ++ os:getpid() ++ "/status"),
    [Line] = [L || L <- binary:split(Bin, <<"\n">>, [global]),
                   binary:match(L, <<"VmRSS:">>) =/= nomatch],
    [_, Kb, <<"kB">>] = binary:split(Line, [<<" ">>, <<"\t">>], [global, trim_all]),
    binary_to_integer(Kb) * 1024.
