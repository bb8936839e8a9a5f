<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Shotloom</name>
    <message>
        <source>Split Shot</source>
        <translation>分割镜头</translation>
    </message>
    <message>
        <source>Duplicate Shot</source>
        <translation>复制镜头</translation>
    </message>
    <message>
        <source>Clear Transition</source>
        <translation>清除转场</translation>
    </message>
    <message>
        <source>Set Transition</source>
        <translation>设置转场</translation>
    </message>
    <message>
        <source>Trim Shot</source>
        <translation>修剪镜头</translation>
    </message>
    <message>
        <source>Move Shot</source>
        <translation>移动镜头</translation>
    </message>
    <message>
        <source>Move Shots</source>
        <translation>移动多个镜头</translation>
    </message>
    <message>
        <source>The playhead is on a cut; move it inside a shot to split</source>
        <translation>播放头位于剪切点上；请把它移到镜头内部再分割</translation>
    </message>
    <message>
        <source>Delete Shot</source>
        <translation>删除镜头</translation>
    </message>
    <message>
        <source>Delete Shots</source>
        <translation>删除多个镜头</translation>
    </message>
    <message>
        <source>Select a shot after the first one to set its transition in</source>
        <translation>请选择第一个之后的镜头来设置它的入点转场</translation>
    </message>
    <message>
        <source>{name} copy</source>
        <translation>{name} 副本</translation>
    </message>
    <message>
        <source>Import Media</source>
        <translation>导入素材</translation>
    </message>
    <message>
        <source>Importing…</source>
        <translation>正在导入…</translation>
    </message>
    <message>
        <source>Some Files Were Not Imported</source>
        <translation>部分文件未能导入</translation>
    </message>
    <message>
        <source>Importing {name} ({n} of {total})</source>
        <translation>正在导入 {name}（第 {n}/{total} 个）</translation>
    </message>
    <message>
        <source>Import {n} Files</source>
        <translation>导入 {n} 个文件</translation>
    </message>
    <message>
        <source>Import {name}</source>
        <translation>导入 {name}</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>最近的项目(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Compare A/B</source>
        <translation>A/B 对比(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Panels</source>
        <translation>面板(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Playback</source>
        <translation>播放(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Toolbar</source>
        <translation>工具栏</translation>
    </message>
    <message>
        <source>New Project</source>
        <translation>新建项目</translation>
    </message>
    <message>
        <source>Shotloom projects (*.shotloom)</source>
        <translation>Shotloom 项目 (*.shotloom)</translation>
    </message>
    <message>
        <source>Open Project</source>
        <translation>打开项目</translation>
    </message>
    <message>
        <source>Save Project As</source>
        <translation>项目另存为</translation>
    </message>
    <message>
        <source>Project Changed on Disk</source>
        <translation>项目文件已在磁盘上更改</translation>
    </message>
    <message>
        <source>Reload</source>
        <translation>重新载入</translation>
    </message>
    <message>
        <source>Keep Mine</source>
        <translation>保留我的版本</translation>
    </message>
    <message>
        <source>About Shotloom</source>
        <translation>关于 Shotloom</translation>
    </message>
    <message>
        <source>Media</source>
        <translation>素材</translation>
    </message>
    <message>
        <source>Storyboard</source>
        <translation>故事板</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>时间线</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>No project</source>
        <translation>没有项目</translation>
    </message>
    <message>
        <source>Reload it? Your unsaved changes here are lost when you reload.</source>
        <translation>要重新载入吗？重新载入后，这里未保存的更改将丢失。</translation>
    </message>
    <message>
        <source>Reload it to see the changes?</source>
        <translation>要重新载入以查看这些更改吗？</translation>
    </message>
    <message>
        <source>Crossfade</source>
        <translation>交叉溶解</translation>
    </message>
    <message>
        <source>Dip to black</source>
        <translation>黑场过渡</translation>
    </message>
    <message>
        <source>Dip to white</source>
        <translation>白场过渡</translation>
    </message>
    <message>
        <source>Cut (no transition)</source>
        <translation>硬切（无转场）</translation>
    </message>
    <message>
        <source>Autosaved</source>
        <translation>已自动保存</translation>
    </message>
    <message>
        <source>{w}×{h} · {rate} fps · {n} shots</source>
        <translation>{w}×{h} · {rate} fps · {n} 个镜头</translation>
    </message>
    <message>
        <source>Cannot Open Project</source>
        <translation>无法打开项目</translation>
    </message>
    <message>
        <source>Cannot Create Project</source>
        <translation>无法创建项目</translation>
    </message>
    <message>
        <source>Cannot Save</source>
        <translation>无法保存</translation>
    </message>
    <message>
        <source>Saved {path}</source>
        <translation>已保存 {path}</translation>
    </message>
    <message>
        <source>{path} was changed by another program.</source>
        <translation>{path} 已被其他程序更改。</translation>
    </message>
    <message>
        <source>Reloaded {path}</source>
        <translation>已重新载入 {path}</translation>
    </message>
    <message>
        <source>&lt;b&gt;Shotloom&lt;/b&gt; {version}&lt;br&gt;A local AI video studio: storyboard, timeline and a frame-exact viewer over a local generation engine.&lt;br&gt;&lt;br&gt;Qt {qt} · Python {py}</source>
        <translation>&lt;b&gt;Shotloom&lt;/b&gt; {version}&lt;br&gt;本地 AI 视频工作室：故事板、时间线和逐帧精确的预览器，基于本地生成引擎。&lt;br&gt;&lt;br&gt;Qt {qt} · Python {py}</translation>
    </message>
    <message>
        <source>Recovery Failed</source>
        <translation>恢复失败</translation>
    </message>
    <message>
        <source>Opened the recovered copy {path}</source>
        <translation>已打开恢复的副本 {path}</translation>
    </message>
    <message>
        <source>No recent projects</source>
        <translation>没有最近的项目</translation>
    </message>
    <message>
        <source>Edit Transition…</source>
        <translation>编辑转场…</translation>
    </message>
    <message>
        <source>The key {key} is used by two commands ({a}, {b}); change one in Settings › Keyboard</source>
        <translation>按键 {key} 同时用于两个命令（{a}、{b}）；请在 设置 › 键盘 中修改其中一个</translation>
    </message>
    <message>
        <source>&amp;Undo {what}</source>
        <translation>撤销 {what}(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo {what}</source>
        <translation>重做 {what}(&amp;R)</translation>
    </message>
    <message>
        <source>Unsaved Changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <source>If you don't save, your changes since the last save are lost.</source>
        <translation>如果不保存，自上次保存以来的更改将会丢失。</translation>
    </message>
    <message>
        <source>Recover Unsaved Work</source>
        <translation>恢复未保存的工作</translation>
    </message>
    <message>
        <source>Open Recovered Copy</source>
        <translation>打开恢复的副本</translation>
    </message>
    <message>
        <source>Discard Autosave</source>
        <translation>丢弃自动保存</translation>
    </message>
    <message>
        <source>Not Now</source>
        <translation>以后再说</translation>
    </message>
    <message>
        <source>Transition</source>
        <translation>转场</translation>
    </message>
    <message>
        <source>Kind:</source>
        <translation>类型：</translation>
    </message>
    <message>
        <source>Length:</source>
        <translation>长度：</translation>
    </message>
    <message>
        <source>frames</source>
        <translation>帧</translation>
    </message>
    <message>
        <source>Save the changes to “{name}” before closing?</source>
        <translation>关闭前是否保存对“{name}”的更改？</translation>
    </message>
    <message>
        <source>Shotloom found unsaved changes to “{name}” from {when}, newer than the saved project. It looks like the editor did not close normally.

Open them as a copy next to the original? Your saved project is not changed.</source>
        <translation>Shotloom 找到了“{name}”在 {when} 的未保存更改，比已保存的项目更新。编辑器上次似乎没有正常关闭。

要将它们作为副本在原项目旁边打开吗？已保存的项目不会被改动。</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Open Folder</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <source>Format:</source>
        <translation>格式：</translation>
    </message>
    <message>
        <source>Range:</source>
        <translation>范围：</translation>
    </message>
    <message>
        <source>Output:</source>
        <translation>输出：</translation>
    </message>
    <message>
        <source>Whole cut</source>
        <translation>整个剪辑</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Open the folder when done</source>
        <translation>完成后打开文件夹</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
    <message>
        <source>Export canceled; no file was written.</source>
        <translation>导出已取消；没有写入任何文件。</translation>
    </message>
    <message>
        <source>In to out (set them with I and O)</source>
        <translation>入点到出点（用 I 和 O 设置）</translation>
    </message>
    <message>
        <source>Export To</source>
        <translation>导出到</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Frame {done} of {total}</source>
        <translation>第 {done}/{total} 帧</translation>
    </message>
    <message>
        <source>Canceling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Ready to export {frames} frames.</source>
        <translation>准备导出 {frames} 帧。</translation>
    </message>
    <message>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
    <message>
        <source>Export failed: {message}</source>
        <translation>导出失败：{message}</translation>
    </message>
    <message>
        <source>In to out ({start} – {end})</source>
        <translation>入点到出点（{start} – {end}）</translation>
    </message>
    <message>
        <source>about {eta} left</source>
        <translation>剩余约 {eta}</translation>
    </message>
    <message>
        <source>probing…</source>
        <translation>正在检测…</translation>
    </message>
    <message>
        <source>audio</source>
        <translation>音频</translation>
    </message>
    <message>
        <source>image · {w}×{h}</source>
        <translation>图像 · {w}×{h}</translation>
    </message>
    <message>
        <source>{n} frames</source>
        <translation>{n} 帧</translation>
    </message>
    <message>
        <source>unreadable</source>
        <translation>无法读取</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Theme:</source>
        <translation>主题：</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <source>Preview cache:</source>
        <translation>预览缓存：</translation>
    </message>
    <message>
        <source>The preview keeps recently shown frames in memory up to this size.</source>
        <translation>预览会在内存中保留最近显示的帧，最多占用这么多空间。</translation>
    </message>
    <message>
        <source>General</source>
        <translation>常规</translation>
    </message>
    <message>
        <source>Restore Default Keys</source>
        <translation>恢复默认按键</translation>
    </message>
    <message>
        <source>Keyboard</source>
        <translation>键盘</translation>
    </message>
    <message>
        <source>Command</source>
        <translation>命令</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>待生成</translation>
    </message>
    <message>
        <source>missing</source>
        <translation>缺失</translation>
    </message>
    <message>
        <source>stale</source>
        <translation>过期</translation>
    </message>
    <message>
        <source>Not generated yet</source>
        <translation>尚未生成</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <source>{frames} frames · {length}</source>
        <translation>{frames} 帧 · {length}</translation>
    </message>
    <message>
        <source>Video track: drop media here</source>
        <translation>视频轨道：把素材拖到这里</translation>
    </message>
    <message>
        <source>Audio track</source>
        <translation>音频轨道</translation>
    </message>
    <message>
        <source>No shots yet. Drop video or image files here, or use File › Import Media.</source>
        <translation>还没有镜头。把视频或图片文件拖到这里，或使用 文件 › 导入素材。</translation>
    </message>
    <message>
        <source>Compare A/B:</source>
        <translation>A/B 对比：</translation>
    </message>
    <message>
        <source>Empty timeline</source>
        <translation>时间线为空</translation>
    </message>
    <message>
        <source>Frame {frame} / {last}   {tc}</source>
        <translation>第 {frame} / {last} 帧   {tc}</translation>
    </message>
</context>
<context>
    <name>Actions</name>
    <message>
        <source>&amp;New Project…</source>
        <translation>新建项目(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Open Project…</source>
        <translation>打开项目(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <source>Save &amp;As…</source>
        <translation>另存为(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Import Media…</source>
        <translation>导入素材(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>导出(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>S&amp;plit at Playhead</source>
        <translation>在播放头处分割(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Delete Shot</source>
        <translation>删除镜头(&amp;D)</translation>
    </message>
    <message>
        <source>D&amp;uplicate Shot</source>
        <translation>复制镜头(&amp;U)</translation>
    </message>
    <message>
        <source>Set &amp;Crossfade</source>
        <translation>设置交叉溶解(&amp;C)</translation>
    </message>
    <message>
        <source>Clear &amp;Transition</source>
        <translation>清除转场(&amp;T)</translation>
    </message>
    <message>
        <source>Se&amp;ttings…</source>
        <translation>设置(&amp;T)…</translation>
    </message>
    <message>
        <source>&amp;Play / Pause</source>
        <translation>播放 / 暂停(&amp;P)</translation>
    </message>
    <message>
        <source>Shuttle &amp;Backward</source>
        <translation>向后穿梭(&amp;B)</translation>
    </message>
    <message>
        <source>Shuttle &amp;Stop</source>
        <translation>停止穿梭(&amp;S)</translation>
    </message>
    <message>
        <source>Shuttle &amp;Forward</source>
        <translation>向前穿梭(&amp;F)</translation>
    </message>
    <message>
        <source>Previous &amp;Frame</source>
        <translation>上一帧(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Next Frame</source>
        <translation>下一帧(&amp;N)</translation>
    </message>
    <message>
        <source>Back One Second</source>
        <translation>后退一秒</translation>
    </message>
    <message>
        <source>Forward One Second</source>
        <translation>前进一秒</translation>
    </message>
    <message>
        <source>Go to &amp;Start</source>
        <translation>跳到开头(&amp;S)</translation>
    </message>
    <message>
        <source>Go to &amp;End</source>
        <translation>跳到结尾(&amp;E)</translation>
    </message>
    <message>
        <source>Previous Shot Boundary</source>
        <translation>上一个镜头边界</translation>
    </message>
    <message>
        <source>Next Shot Boundary</source>
        <translation>下一个镜头边界</translation>
    </message>
    <message>
        <source>Set &amp;In</source>
        <translation>设置入点(&amp;I)</translation>
    </message>
    <message>
        <source>Set &amp;Out</source>
        <translation>设置出点(&amp;O)</translation>
    </message>
    <message>
        <source>Go to In</source>
        <translation>跳到入点</translation>
    </message>
    <message>
        <source>Go to Out</source>
        <translation>跳到出点</translation>
    </message>
    <message>
        <source>&amp;Loop In/Out</source>
        <translation>循环入点/出点(&amp;L)</translation>
    </message>
    <message>
        <source>Add &amp;Marker</source>
        <translation>添加标记(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Full Screen Viewer</source>
        <translation>全屏预览(&amp;F)</translation>
    </message>
    <message>
        <source>Sa&amp;fe Areas</source>
        <translation>安全框(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Onion Skin</source>
        <translation>洋葱皮(&amp;O)</translation>
    </message>
    <message>
        <source>Compare: Off</source>
        <translation>对比：关闭</translation>
    </message>
    <message>
        <source>Compare: Side by Side</source>
        <translation>对比：并排</translation>
    </message>
    <message>
        <source>Compare: Wipe</source>
        <translation>对比：划像</translation>
    </message>
    <message>
        <source>Zoom &amp;In Timeline</source>
        <translation>放大时间线(&amp;I)</translation>
    </message>
    <message>
        <source>Zoom &amp;Out Timeline</source>
        <translation>缩小时间线(&amp;O)</translation>
    </message>
    <message>
        <source>Zoom to &amp;Fit</source>
        <translation>缩放到适合(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;About Shotloom</source>
        <translation>关于 Shotloom(&amp;A)</translation>
    </message>
</context>
</TS>
